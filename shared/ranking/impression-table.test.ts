import { describe, expect, it } from "vitest";
import { SeededRandom } from "../seeded-random";
import { buildImpressionTable, EMPTY_IMPRESSIONS, impressionCount, impressionCountsOf, itemHash } from "./impression-table";

function shown(seed: number, n: number): Map<string, number> {
  const rng = new SeededRandom(seed);
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) counts.set(rng.next() < 0.5 ? `m${rng.int(100_000)}` : `item:${i}-ü${rng.int(9)}`, 1 + rng.int(rng.next() < 0.1 ? 200 : 4));
  return counts;
}

const tableOf = (counts: Map<string, number>) =>
  buildImpressionTable(
    [...counts].map(([id, count]) => ({ hash: itemHash(id), count })),
    counts.size,
  );

describe("impression table", () => {
  it("reads every shown item's count, and 0 for items not shown, as a map would", () => {
    for (const [seed, n] of [
      [1, 0],
      [2, 1],
      [3, 17],
      [4, 5000],
    ] as const) {
      const counts = shown(seed, n);
      const table = tableOf(counts);
      expect(table.length).toBe(counts.size);
      for (const [id, count] of counts) expect(impressionCount(table, id)).toBe(count);
      for (let k = 0; k < 500; k++) {
        const id = `never-${seed}-${k}`;
        expect(impressionCount(table, id)).toBe(counts.get(id) ?? 0);
      }
    }
  });

  it("saturates counts past 65,535 and keeps the table sorted", () => {
    const table = buildImpressionTable(
      [
        { hash: itemHash("a"), count: 70_000 },
        { hash: itemHash("b"), count: 3 },
      ],
      2,
    );
    expect(impressionCount(table, "a")).toBe(65_535);
    expect(impressionCount(table, "b")).toBe(3);
    expect([...table]).toEqual([...table].sort((x, y) => x - y));
  });

  it("gives the ranking code the counts of the ids asked for that were shown", () => {
    const counts = shown(9, 300);
    const asked = [...[...counts.keys()].slice(0, 50), "not-shown-1", "not-shown-2"];
    expect(impressionCountsOf(tableOf(counts), asked)).toEqual(Object.fromEntries(asked.filter((id) => counts.has(id)).map((id) => [id, counts.get(id)])));
    expect(impressionCountsOf(EMPTY_IMPRESSIONS, asked)).toEqual({});
  });

  it("gives counts keyed by item ids Object.prototype also names as plain data", () => {
    const counts = new Map([
      ["__proto__", 2],
      ["constructor", 3],
    ]);
    const out = impressionCountsOf(tableOf(counts), ["__proto__", "constructor", "toString"]);
    expect(Object.entries(out)).toEqual([...counts]);
    expect(out.toString).toBeUndefined();
  });

  it("is a bare buffer of the items, so structured clone copies nothing else", () => {
    const table = buildImpressionTable([{ hash: 1, count: 1 }], 4);
    expect(table.byteLength).toBe(8);
    expect(table.buffer.byteLength).toBe(8);
    expect(structuredClone(table)).toEqual(table);
  });
});
