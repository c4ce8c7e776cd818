import { describe, expect, it } from "vitest";
import { decodeCovisit, encodeCovisit } from "../../../shared/covisit/covisit-codec";
import { neighborsOf, scoreByCovisitation } from "../../../shared/covisit/covisit-lists";
import { SarRecommender } from "../eval/sar";
import { buildCovisitation } from "./covisitation";
import { tableFromRows } from "./interaction-table";
import { mulberry32 } from "./seeded-random";

const DAY = 86_400;

describe("buildCovisitation", () => {
  it("equals a hand-computed time-decayed Jaccard", () => {
    // Newest row at t = 100 days. Half-life 10 days.
    const rows = [
      { userId: "a", itemId: "1", value: 1, timestampSec: 100 * DAY },
      { userId: "a", itemId: "2", value: 1, timestampSec: 90 * DAY },
      { userId: "b", itemId: "1", value: 1, timestampSec: 80 * DAY },
      { userId: "b", itemId: "2", value: 1, timestampSec: 80 * DAY },
      { userId: "b", itemId: "3", value: 1, timestampSec: 100 * DAY },
    ];
    const lists = buildCovisitation(tableFromRows(rows), { topN: 5, halfLifeSec: 10 * DAY, minUsers: 1 });
    // Decays: a1 = 1, a2 = 0.5, b1 = b2 = 0.25, b3 = 1. A pair decays at its later row.
    const c12 = Math.min(1, 0.5) + 0.25;
    const c13 = 0.25;
    const c23 = 0.25;
    const d1 = 1.25;
    const d2 = 0.75;
    const d3 = 1;
    const item1 = neighborsOf(lists, 0);
    expect(Array.from(item1.items)).toEqual([1, 2]);
    expect(item1.scores[0]).toBeCloseTo(c12 / (d1 + d2 - c12), 6);
    expect(item1.scores[1]).toBeCloseTo(c13 / (d1 + d3 - c13), 6);
    const item3 = neighborsOf(lists, 2);
    expect(Array.from(item3.items)).toEqual([1, 0]);
    expect(item3.scores[0]).toBeCloseTo(c23 / (d2 + d3 - c23), 6);
  });

  it("weighs a pair by the gap between its two interactions under a session window", () => {
    // User a met 1 and 2 an hour apart, and 3 ten days later; b met 1 and 3 together. No age decay.
    const rows = [
      { userId: "a", itemId: "1", value: 1, timestampSec: 0 },
      { userId: "a", itemId: "2", value: 1, timestampSec: 3600 },
      { userId: "a", itemId: "3", value: 1, timestampSec: 10 * DAY },
      { userId: "b", itemId: "1", value: 1, timestampSec: 5 * DAY },
      { userId: "b", itemId: "3", value: 1, timestampSec: 5 * DAY },
    ];
    const table = tableFromRows(rows);
    const windowed = buildCovisitation(table, { topN: 5, halfLifeSec: Infinity, minUsers: 1, windowSec: DAY });
    // Jaccard with co-counts 0.5^(gap / 1 day): c12 = 0.5^(1/24), c13 = 0.5^10 (a) + 1 (b); diagonals count each user once.
    const c12 = Math.pow(0.5, 1 / 24);
    const c13 = Math.pow(0.5, 10) + 1;
    // The pair met in one sitting (1, 2) now leads the pair two users share days apart (1, 3).
    const item1 = neighborsOf(windowed, 0);
    expect(Array.from(item1.items)).toEqual([1, 2]);
    expect(item1.scores[0]).toBeCloseTo(c12 / (2 + 1 - c12), 6);
    expect(item1.scores[1]).toBeCloseTo(c13 / (2 + 2 - c13), 6);
    // Without a window the gap does not matter: the default is the plain Jaccard, where (1, 3) leads.
    const plain = buildCovisitation(table, { topN: 5, halfLifeSec: Infinity, minUsers: 1 });
    expect(buildCovisitation(table, { topN: 5, halfLifeSec: Infinity, minUsers: 1, windowSec: Infinity })).toEqual(plain);
    expect(Array.from(neighborsOf(plain, 0).items)).toEqual([2, 1]);
    expect(neighborsOf(plain, 0).scores[0]).toBeCloseTo(2 / (2 + 2 - 2), 6);
  });

  it("without decay keeps SAR's Jaccard top-N per item", () => {
    const rand = mulberry32(3);
    const rows = [];
    for (let u = 0; u < 60; u++)
      for (let i = 0; i < 40; i++) if (rand() < 0.15 + (i % 5) * 0.05) rows.push({ userId: String(u), itemId: String(i), value: 1, timestampSec: u });
    const table = tableFromRows(rows);
    const n = table.itemIds.length;
    const lists = buildCovisitation(table, { topN: 7, halfLifeSec: Infinity, minUsers: 1 });
    const sar = new SarRecommender();
    sar.fit(table);
    for (let i = 0; i < n; i++) {
      const expected = Array.from({ length: n }, (_, j) => j)
        .filter((j) => j !== i && sar.cooccurrence[i * n + j]! > 0)
        .sort((a, b) => sar.similarity[i * n + b]! - sar.similarity[i * n + a]! || a - b)
        .slice(0, 7);
      const got = neighborsOf(lists, i);
      expect(Array.from(got.items)).toEqual(expected);
      got.scores.forEach((s, k) => expect(s).toBeCloseTo(sar.similarity[i * n + expected[k]!]!, 6));
    }
  });

  it("survives the blob codec and scores a history", () => {
    const rows = ["1", "2", "3"].flatMap((item) => ["a", "b"].map((userId) => ({ userId, itemId: item, value: 1, timestampSec: 0 })));
    const lists = decodeCovisit(encodeCovisit(buildCovisitation(tableFromRows(rows), { topN: 2, halfLifeSec: Infinity, minUsers: 2 })));
    expect(Array.from(lists.offsets)).toEqual([0, 2, 4, 6]);
    const out = new Map<number, number>();
    expect(
      scoreByCovisitation(
        lists,
        [
          { item: 0, weight: 2 },
          { item: 9, weight: 1 },
        ],
        out,
      ),
    ).toBe(1);
    expect([...out]).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(() => decodeCovisit(new Uint8Array(8))).toThrow();
  });

  it("carries a facts page after the lists when given one (CVS2), and refuses a blob cut short", () => {
    const rows = ["1", "2", "3"].flatMap((item) => ["a", "b"].map((userId) => ({ userId, itemId: item, value: 1, timestampSec: 0 })));
    const built = buildCovisitation(tableFromRows(rows), { topN: 2, halfLifeSec: Infinity, minUsers: 2 });
    const facts = Uint8Array.from({ length: 40 }, (_, i) => i);
    const plain = decodeCovisit(encodeCovisit(built));
    const bytes = encodeCovisit(built, facts);
    const withFacts = decodeCovisit(bytes);
    expect(plain.facts).toBeNull();
    expect(Array.from(withFacts.facts!)).toEqual(Array.from(facts));
    expect([withFacts.offsets, withFacts.neighbors, withFacts.scores]).toEqual([plain.offsets, plain.neighbors, plain.scores]);
    expect(() => decodeCovisit(bytes.subarray(0, bytes.byteLength - 1))).toThrow(/length/);
  });
});
