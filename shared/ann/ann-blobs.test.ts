import { describe, expect, it } from "vitest";
import { encodeAnnIndex } from "./ann-blobs";
import { ANN_BLOBS } from "./ann-manifest";
import { buildIvfPq } from "./build-ivfpq";
import { referenceKernel } from "./kernel/reference-kernel";
import { decodeShard } from "./shard-format";
import { parityItemIds, parityVectors, PARITY } from "./testdata/parity-fixture";

describe("encodeAnnIndex", () => {
  it("stores item-table rows instead of positions when given them, and writes no ann-items", () => {
    const index = buildIvfPq(referenceKernel, parityVectors(), PARITY.params, { seed: PARITY.seed, kmeansIterations: 2 });
    const ids = parityItemIds();
    // Rows in reverse position order, so a position left in a list would show.
    const rows = Uint32Array.from(ids, (_, position) => ids.length - 1 - position);
    const byPosition = encodeAnnIndex(index, ids, { embedding: "e" });
    const byRow = encodeAnnIndex(index, ids, { embedding: "e", tableRows: rows });
    expect(byPosition.blobs.has(ANN_BLOBS.items)).toBe(true);
    expect(byRow.blobs.has(ANN_BLOBS.items)).toBe(false);
    expect(byRow.section.idSpace).toBe("item-table");
    expect(byPosition.section.idSpace).toBeUndefined();
    for (const shard of byRow.section.shards) {
      const lists = decodeShard(byRow.blobs.get(shard.name)!.bytes, { ...byRow.section, ...shard });
      lists.forEach((list, k) => expect(Array.from(list.ids)).toEqual(Array.from(index.lists[shard.firstList + k]!.ids, (p) => rows[p]!)));
    }
    expect(() => encodeAnnIndex(index, ids, { embedding: "e", tableRows: rows.subarray(1) })).toThrow(/one item-table row/);
  });
});
