import { describe, expect, it } from "vitest";
import { encodeAnnIndex } from "./ann-blobs";
import { ANN_BLOBS } from "./ann-manifest";
import { buildIvfPq } from "./build-ivfpq";
import { referenceKernel } from "./kernel/reference-kernel";
import { decodeShard, shardFacts } from "./shard-format";
import { decodeItemPage, encodeItemPage, pageIdAt, searchRow } from "../catalog/item-page";
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

  it("stores in each shard the facts page of exactly the rows its lists hold, and still decodes the lists", () => {
    const index = buildIvfPq(referenceKernel, parityVectors(), PARITY.params, { seed: PARITY.seed, kmeansIterations: 2 });
    const ids = parityItemIds();
    const rows = Uint32Array.from(ids, (_, position) => ids.length - 1 - position);
    const idOfRow = (row: number) => `row-${row}`;
    const factsPage = (asked: Uint32Array) =>
      encodeItemPage(
        Array.from(asked, (row) => ({ itemId: idOfRow(row), row, categoryMask: row % 7, popularity: row / 2, year: 1990, available: row % 3 > 0 })),
      );
    const plain = encodeAnnIndex(index, ids, { embedding: "e", tableRows: rows });
    const withFacts = encodeAnnIndex(index, ids, { embedding: "e", tableRows: rows, factsPage });
    for (const shard of withFacts.section.shards) {
      const bytes = withFacts.blobs.get(shard.name)!.bytes;
      const lists = decodeShard(bytes, { ...withFacts.section, ...shard });
      expect(lists).toEqual(decodeShard(plain.blobs.get(shard.name)!.bytes, { ...plain.section, ...shard }));
      expect(shardFacts(plain.blobs.get(shard.name)!.bytes)).toBeNull();
      const facts = decodeItemPage(shardFacts(bytes)!.slice());
      const held = lists.flatMap((list) => Array.from(list.ids)).sort((a, b) => a - b);
      expect(Array.from(facts.rows)).toEqual(held);
      for (const row of held) {
        const k = searchRow(facts, row);
        expect([pageIdAt(facts, k), facts.categoryMask[k], facts.popularity[k], facts.flags[k]]).toEqual([idOfRow(row), row % 7, row / 2, row % 3 > 0 ? 1 : 0]);
      }
      expect(searchRow(facts, ids.length + 5)).toBe(-1);
      // A truncated facts page leaves the shard undecodable rather than misread.
      expect(() => decodeItemPage(shardFacts(bytes.slice(0, bytes.byteLength - 1))!.slice())).toThrow(/item page/);
    }
  });
});
