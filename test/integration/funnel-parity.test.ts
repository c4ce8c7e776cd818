import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type FunnelResult } from "../../shared/funnel/run-funnel";
import { RANKER_BLOBS } from "../../shared/ranking/onnx-ranker";
import { workerFunnelPorts } from "../../worker/src/funnel/worker-ports";
import { ServerTiming } from "../../worker/src/http/server-timing";
import { loadCurrentIndex } from "../../worker/src/index-store/index-cache";
import { warmRanker } from "../../worker/src/ranker/heavy-rank";
import { PAGED_ITEMS, randomMlp, rankerBlobs } from "../fixtures/funnel-index";
import { runParityCases } from "../fixtures/funnel-parity";
import parity from "../fixtures/funnel-parity.json";
import { countingKv, publishFunnelIndex } from "./funnel-fixture";

describe("the Worker's side of the one-funnel parity check", () => {
  // The first heavy-ranker call imports ORT (~10 s in the vitest pool).
  it("answers every parity case as the builder does in Node (funnel-parity.json)", { timeout: 90_000 }, async () => {
    const ranker = await rankerBlobs(randomMlp(3));
    const manifest = await publishFunnelIndex("v-parity", () => {}, ranker);
    const index = await loadCurrentIndex(env.INDEX_KV);
    expect(index?.version).toBe("v-parity");
    // A fresh isolate serves light scores while ORT warms: warm it first, as a warm isolate is.
    expect(await warmRanker(ranker.get(RANKER_BLOBS.model)!.bytes, manifest.blobs[RANKER_BLOBS.model]!.sha256)).toBe(true);
    const background: Promise<unknown>[] = [];
    const actual = await runParityCases(workerFunnelPorts(env, index!, new ServerTiming(), (work) => void background.push(work)));
    await Promise.allSettled(background);
    const expected = parity as Record<string, FunnelResult>;
    expect(Object.keys(actual)).toEqual(Object.keys(expected));
    for (const [name, result] of Object.entries(actual)) {
      if (name !== "heavy ranker") {
        expect(result, name).toEqual(expected[name]);
        continue;
      }
      // onnxruntime-web and the builder's TypeScript MLP agree to float32 rounding: same list, scores within 2e-5.
      expect(
        result.entries.map((e) => e.itemId),
        name,
      ).toEqual(expected[name]!.entries.map((e) => e.itemId));
      result.entries.forEach((e, i) => expect(Math.abs(e.score - expected[name]!.entries[i]!.score), `${name} #${i}`).toBeLessThanOrEqual(2e-5));
      expect({ ...result, entries: [] }).toEqual({ ...expected[name], entries: [] });
    }
  });

  it("answers the same with the item table paged: id and row pages read from KV through the isolate's caches", async () => {
    await publishFunnelIndex("v-parity-paged", () => {}, new Map(), PAGED_ITEMS);
    const index = await loadCurrentIndex(env.INDEX_KV);
    expect(index?.manifest.funnel?.itemPages?.rowPages).toBe(6);
    const { kv, read } = countingKv(index!.manifest);
    const actual = await runParityCases(workerFunnelPorts({ ...env, INDEX_KV: kv }, index!, new ServerTiming(), () => {}));
    const expected = parity as Record<string, FunnelResult>;
    // Without the heavy ranker blobs its case is ranked by the light scores; the other cases are byte for byte the builder's.
    for (const [name, result] of Object.entries(actual)) if (name !== "heavy ranker") expect(result, name).toEqual(expected[name]);
    // ANN and co-visitation candidates are named and ranked from the facts pages in their shards and
    // co-visitation pages: no row page is read but the hot one (row page 0), so a miss's reads do not
    // grow with its candidates.
    expect(read.some((name) => name.startsWith("ann-shard-"))).toBe(true);
    expect(read.some((name) => name.startsWith("covisit-"))).toBe(true);
    expect(read.filter((name) => name.startsWith("item-rows-") && name !== "item-rows-0")).toEqual([]);
  });
});
