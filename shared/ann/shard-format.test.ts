import { describe, expect, it } from "vitest";
import { loadNodeKernel } from "../../index-builder/src/ann/node-kernel";
import { sha256Hex } from "../checksum";
import { readVerifiedBlob } from "../index-format/index-reader";
import { blobKey } from "../index-format/keys";
import { MemoryKv } from "../index-format/memory-kv";
import { type IndexManifest, MANIFEST_FORMAT_VERSION, parseManifest } from "../index-format/manifest";
import { decodeAnnHead, encodeAnnIndex, planShards, SHARD_LIMIT_BYTES } from "./ann-blobs";
import { ANN_BLOBS, shardOfList } from "./ann-manifest";
import { buildIvfPq } from "./build-ivfpq";
import { type IvfPqParams } from "./ivfpq-index";
import { SeededRandom } from "../seeded-random";
import { decodeShard, readShardHeader, shardBytes } from "./shard-format";

const dims = 16;
const random = new SeededRandom(9);
const vectors = Float32Array.from({ length: 3000 * dims }, () => random.gaussian());
const params: IvfPqParams = { metric: "l2", dims, nlist: 24, m: 4, nbits: 8, rescore: "sq8" };
const index = buildIvfPq(loadNodeKernel(), vectors, params, { seed: 3, kmeansIterations: 4 });
const itemIds = Array.from({ length: 3000 }, (_, i) => `item-${i}`);
const { blobs, section } = encodeAnnIndex(index, itemIds, { embedding: "test", shardTargetBytes: 12_000 });

describe("ANN shards", () => {
  it("cover every list in order, each under its target and the KV limit", () => {
    expect(section.shards.length).toBeGreaterThan(3);
    let next = 0;
    for (const shard of section.shards) {
      expect(shard.firstList).toBe(next);
      next += shard.listCount;
      const bytes = blobs.get(shard.name)!.bytes;
      expect(bytes.byteLength).toBeLessThan(SHARD_LIMIT_BYTES);
      if (shard.listCount > 1) expect(bytes.byteLength).toBeLessThanOrEqual(12_000);
    }
    expect(next).toBe(params.nlist);
    expect(shardOfList(section, 23)?.name).toBe(section.shards.at(-1)!.name);
  });

  it("never plans a shard over the KV limit, and refuses a list that alone exceeds it", () => {
    const big: IvfPqParams = { metric: "ip", dims: 64, nlist: 8, m: 16, nbits: 8, rescore: "sq8" };
    const sizes = [200_000, 150_000, 100_000, 50_000, 1, 0, 290_000, 10];
    for (const run of planShards(big, sizes, SHARD_LIMIT_BYTES - 1)) {
      expect(shardBytes(big, run.listCount, run.vectors, run.vectors * 16)).toBeLessThan(SHARD_LIMIT_BYTES);
    }
    expect(() => planShards(big, [400_000], SHARD_LIMIT_BYTES - 1)).toThrow(/exceeds the KV value limit/);
  });

  it("round-trip their headers and lists", () => {
    for (const shard of section.shards) {
      const bytes = blobs.get(shard.name)!.bytes;
      const header = readShardHeader(bytes);
      expect(header).toEqual({ formatVersion: 1, params, firstList: shard.firstList, listCount: shard.listCount, vectors: shard.vectors });
      const lists = decodeShard(bytes, { ...params, ...shard });
      lists.forEach((list, j) => {
        const original = index.lists[shard.firstList + j]!;
        expect(list.ids).toEqual(original.ids);
        expect(list.codes).toEqual(original.codes);
        expect(list.sq8).toEqual(original.sq8);
      });
    }
    const head = decodeAnnHead(section, {
      centroids: blobs.get(ANN_BLOBS.centroids)!.bytes,
      codebooks: blobs.get(ANN_BLOBS.codebooks)!.bytes,
      sq8: blobs.get(ANN_BLOBS.sq8)!.bytes,
    });
    expect(head.centroids).toEqual(index.centroids);
    expect(head.codebooksT).toEqual(index.codebooksT);
    expect(head.sq8).toEqual(index.sq8);
  });

  it("are checked against the manifest: a flipped byte is caught, a wrong header refused", async () => {
    const refs: IndexManifest["blobs"] = { popular: { bytes: 0, sha256: "0".repeat(64), contentType: "application/json" } };
    for (const [name, blob] of blobs) refs[name] = { bytes: blob.bytes.byteLength, sha256: await sha256Hex(blob.bytes), contentType: blob.contentType };
    const manifest = parseManifest({
      formatVersion: MANIFEST_FORMAT_VERSION,
      version: "v1",
      builtAt: "2026-01-01T00:00:00Z",
      source: { dataset: "t", newestInteractionAt: "2026-01-01T00:00:00Z" },
      counts: { items: 3000, users: 0, interactions: 0, categories: 0 },
      blobs: refs,
      fallbackItemIds: [],
      ann: section,
    });
    const kv = new MemoryKv();
    const shard = section.shards[1]!;
    const bytes = blobs.get(shard.name)!.bytes;
    await kv.put(blobKey(refs[shard.name]!.sha256), bytes);
    expect(await readVerifiedBlob(kv, manifest, shard.name)).toEqual({ bytes });
    const flipped = bytes.slice();
    flipped[Math.floor(flipped.length / 2)]! ^= 0x10;
    await kv.put(blobKey(refs[shard.name]!.sha256), flipped);
    expect(await readVerifiedBlob(kv, manifest, shard.name)).toEqual({ fault: "checksum_mismatch" });

    expect(() => decodeShard(bytes, { ...params, ...section.shards[0]! })).toThrow(/other lists/);
    expect(() => decodeShard(bytes, { ...params, m: 8, ...shard })).toThrow(/parameters differ/);
    const badMagic = bytes.slice();
    badMagic[0] = 0;
    expect(() => readShardHeader(badMagic)).toThrow(/magic/);
    expect(() => parseManifest({ ...manifest, ann: { ...section, shards: section.shards.slice(1) } })).toThrow(/without gaps/);
  });
});
