import { loadNodeKernel } from "../ann/node-kernel";
import { fixtureFunnelIndex } from "../../../test/fixtures/funnel-index";
import { describeIndexPortContract } from "../../../test/fixtures/index-port-contract";
import { memoryFunnelPorts } from "./memory-ports";

const kernel = loadNodeKernel();
const fixture = fixtureFunnelIndex(kernel);

describeIndexPortContract("in-memory (the builder)", async (drop) => {
  const blobs = new Map([...fixture.blobs].filter(([name]) => !drop.includes(name)));
  return memoryFunnelPorts({ version: "v-contract", ...fixture, blobs, lightWeights: null }, { kernel }).index;
});
