import { env } from "cloudflare:workers";
import { workerFunnelPorts } from "../../worker/src/funnel/worker-ports";
import { ServerTiming } from "../../worker/src/http/server-timing";
import { loadCurrentIndex } from "../../worker/src/index-store/index-cache";
import { describeIndexPortContract } from "../fixtures/index-port-contract";
import { versionBlobKey } from "./fixtures";
import { publishFunnelIndex } from "./funnel-fixture";

let opened = 0;

describeIndexPortContract("KV (the Worker)", async (drop) => {
  // A version of its own each time: the isolate caches heads and pages by version.
  const version = `v-contract-${++opened}`;
  const manifest = await publishFunnelIndex(version);
  // A name this version does not list (the other kind of item table) has nothing to drop.
  for (const name of drop) if (manifest.blobs[name]) await env.INDEX_KV.delete(await versionBlobKey(version, name));
  const index = await loadCurrentIndex(env.INDEX_KV);
  if (index?.version !== version) throw new Error(`published ${version}, serving ${index?.version}`);
  return workerFunnelPorts(env, index, new ServerTiming(), () => {}).index;
});
