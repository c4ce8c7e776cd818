import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CACHE_BUDGET_BYTES } from "../../worker/src/cache-budget";
import { cachePart, chargeHead, isolateCacheBytes, releaseHead } from "../../worker/src/cache/isolate-cache";

const MIB = 1024 * 1024;
/** A quarter of the budget, a little more: four such entries do not fit. */
const BLOB_BYTES = Math.floor(CACHE_BUDGET_BYTES / 4) + MIB;

/** Blobs in the real KV, and a loader that counts its reads. */
async function kvBlobs(
  prefix: string,
  count: number,
): Promise<{ load: (key: string) => () => Promise<{ value: Uint8Array; bytes: number }>; reads: string[] }> {
  for (let i = 0; i < count; i++) await env.INDEX_KV.put(`${prefix}-${i}`, new Uint8Array(BLOB_BYTES).fill(i + 1));
  const reads: string[] = [];
  return {
    reads,
    load: (key) => async () => {
      reads.push(key);
      const buffer = await env.INDEX_KV.get(key, { type: "arrayBuffer" });
      if (!buffer) throw new Error(`${key} is not in KV`);
      return { value: new Uint8Array(buffer), bytes: buffer.byteLength };
    },
  };
}

describe("the isolate's one cache budget", () => {
  it("evicts the least recently used entry of any kind, by bytes, to stay within the budget", async () => {
    const { load, reads } = await kvBlobs("budget-lru", 4);
    const shards = cachePart<Uint8Array>("ann-list");
    const titles = cachePart<Uint8Array>("title-page");
    const before = isolateCacheBytes();
    expect(before.budget).toBe(CACHE_BUDGET_BYTES);
    // Other suites in this isolate may have left entries: start from this test's own.
    shards.clear();
    titles.clear();
    cachePart("vector-page").clear();
    cachePart("covisit-page").clear();
    cachePart("item-page").clear();
    cachePart("title-patch").clear();
    cachePart("list").clear();

    for (const [part, i] of [
      [shards, 0],
      [titles, 1],
      [shards, 2],
    ] as const)
      await part.getOrLoad(`k${i}`, load(`budget-lru-${i}`));
    expect(reads).toEqual(["budget-lru-0", "budget-lru-1", "budget-lru-2"]);
    // Touch the first shard: the title page is now the oldest.
    expect(shards.get("k0")?.[0]).toBe(1);
    await titles.getOrLoad("k3", load("budget-lru-3"));
    const now = isolateCacheBytes();
    expect(now.entries + now.heads).toBeLessThanOrEqual(CACHE_BUDGET_BYTES);
    expect(titles.get("k1")).toBeUndefined();
    expect(shards.get("k0")?.[0]).toBe(1);
    expect(shards.get("k2")?.[0]).toBe(3);
    expect(titles.get("k3")?.[0]).toBe(4);
    // Read again from KV once evicted.
    await titles.getOrLoad("k1", load("budget-lru-1"));
    expect(reads.filter((r) => r === "budget-lru-1")).toHaveLength(2);
  });

  it("counts a version's head against the budget: entries make room for it, and get it back when it is released", async () => {
    const { load } = await kvBlobs("budget-head", 3);
    const shards = cachePart<Uint8Array>("ann-list");
    shards.clear();
    for (let i = 0; i < 3; i++) await shards.getOrLoad(`h${i}`, load(`budget-head-${i}`));
    const full = isolateCacheBytes();
    // Room for one more blob's worth only if the heads held before leave it.
    chargeHead("manifest:budget-test", BLOB_BYTES);
    const charged = isolateCacheBytes();
    expect(charged.entries + charged.heads).toBeLessThanOrEqual(CACHE_BUDGET_BYTES);
    expect(charged.heads).toBe(full.heads + BLOB_BYTES);
    expect(shards.get("h0")).toBeUndefined();
    expect(shards.get("h2")?.[0]).toBe(3);
    releaseHead("manifest:budget-test");
    expect(isolateCacheBytes().heads).toBe(full.heads);
    await shards.getOrLoad("h0", load("budget-head-0"));
    expect(shards.get("h0")?.[0]).toBe(1);
  });

  it("does not keep a value larger than what the heads leave of the budget, and loads it each time", async () => {
    const shards = cachePart<Uint8Array>("ann-list");
    let loads = 0;
    const huge = async () => (loads++, { value: new Uint8Array(1), bytes: CACHE_BUDGET_BYTES + 1 });
    await shards.getOrLoad("huge", huge);
    await shards.getOrLoad("huge", huge);
    expect(loads).toBe(2);
    expect(isolateCacheBytes().entries).toBeLessThanOrEqual(CACHE_BUDGET_BYTES);
  });
});
