import { loadNodeKernel } from "../ann/node-kernel";
import { fixtureFunnelIndex, PAGED_ITEMS } from "../../../test/fixtures/funnel-index";
import { describeIndexPortContract } from "../../../test/fixtures/index-port-contract";
import { memoryFunnelPorts } from "./memory-ports";

const kernel = loadNodeKernel();

for (const [name, fixture] of [
  ["in-memory (the builder)", fixtureFunnelIndex(kernel)],
  ["in-memory (the builder), paged item table", fixtureFunnelIndex(kernel, PAGED_ITEMS)],
] as const) {
  describeIndexPortContract(name, async (drop) => {
    const blobs = new Map([...fixture.blobs].filter(([name]) => !drop.includes(name)));
    return memoryFunnelPorts({ version: "v-contract", ...fixture, blobs, lightWeights: null }, { kernel }).index;
  });
}
