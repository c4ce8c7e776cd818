import { describe, expect, it } from "vitest";
import { wholeItemLookup } from "../catalog/item-lookup";
import { decodeItemTable, encodeItemTable } from "../catalog/item-table";
import { RECENT_SEEDS } from "../ranking/candidate";
import { categoryGaps, covisitSignals } from "./session-signals";

const NAMES = ["Action", "Drama", "Comedy"];
const table = wholeItemLookup(
  decodeItemTable(
    encodeItemTable(
      Array.from({ length: 12 }, (_, i) => ({ itemId: `m${i}`, categories: [i % 3], year: null, popularity: 12 - i, available: true })),
      NAMES.length,
    ).bytes,
  ),
);
const row = (id: string) => table.rowOf(id);

describe("covisitSignals", () => {
  it("sums every recent item's co-visitation with each candidate, the few most recent apart, and counts the links", () => {
    // History most recent first: m0, then RECENT_SEEDS more, the last of which is beyond the recent window.
    const history = Array.from({ length: RECENT_SEEDS + 1 }, (_, k) => ({ row: row(`m${k}`), weight: k + 1 }));
    // Every history item lists m10 with similarity 0.5; only the oldest lists m11 (0.25).
    const oldest = row(`m${RECENT_SEEDS}`);
    const neighbours = (r: number) =>
      r === oldest
        ? { items: Uint32Array.from([row("m10"), row("m11")]), scores: Float32Array.from([0.5, 0.25]) }
        : { items: Uint32Array.from([row("m10")]), scores: Float32Array.from([0.5]) };
    const out = covisitSignals(table, neighbours, history, [
      { itemId: "m10", sources: {} },
      { itemId: "m11", sources: {} },
      { itemId: "m9", sources: {} },
    ]);
    const weights = history.reduce((s, h) => s + h.weight, 0);
    expect(out.m10).toEqual({ strength: 0.5 * weights, recent: 0.5 * RECENT_SEEDS, links: RECENT_SEEDS + 1 });
    expect(out.m11).toEqual({ strength: 0.25 * (RECENT_SEEDS + 1), recent: 0, links: 1 });
    expect(out.m9).toBeUndefined();
  });

  it("is empty without neighbours or history", () => {
    expect(covisitSignals(table, null, [{ row: 0, weight: 1 }], [{ itemId: "m1", sources: {} }])).toEqual({});
    expect(covisitSignals(table, () => ({ items: new Uint32Array(), scores: new Float32Array() }), [], [{ itemId: "m1", sources: {} }])).toEqual({});
  });
});

describe("items and categories Object.prototype also names", () => {
  const names = ["constructor", "__proto__", "toString"];
  const named = wholeItemLookup(
    decodeItemTable(
      encodeItemTable(
        names.map((itemId, i) => ({ itemId, categories: [i], year: null, popularity: 3 - i, available: true })),
        names.length,
      ).bytes,
    ),
  );
  const at = (id: string) => named.rowOf(id);

  it("get their own co-visitation signals, and nothing lands on Object", () => {
    const neighbours = () => ({ items: Uint32Array.from(names.map(at)), scores: Float32Array.from([0.5, 0.25, 0.125]) });
    const out = covisitSignals(
      named,
      neighbours,
      [{ row: at("toString"), weight: 2 }],
      names.map((itemId) => ({ itemId, sources: {} })),
    );
    expect(Object.keys(out).sort()).toEqual([...names].sort());
    expect(Object.hasOwn(out, "__proto__") && out.__proto__).toEqual({ strength: 0.5, recent: 0.25, links: 1 });
    expect(Object.hasOwn(out, "constructor") && out.constructor).toEqual({ strength: 1, recent: 0.5, links: 1 });
    expect(Object.hasOwn(Object, "strength")).toBe(false);
  });

  it("get their own category gaps", () => {
    const gaps = categoryGaps(
      named,
      names,
      ["toString", "constructor", "__proto__"].map((id) => ({ row: at(id) })),
    );
    expect(Object.entries(gaps)).toEqual([
      ["toString", 0],
      ["constructor", 1],
      ["__proto__", 2],
    ]);
  });
});

describe("categoryGaps", () => {
  it("gives each category the position of the most recent history item that has it", () => {
    // m4 is Drama (4 % 3 = 1), m3 Action, m7 Drama, m5 Comedy.
    const history = ["m4", "m3", "m7", "m5"].map((id) => ({ row: row(id) }));
    expect(categoryGaps(table, NAMES, history)).toEqual({ Drama: 0, Action: 1, Comedy: 3 });
    expect(categoryGaps(table, NAMES, [])).toEqual({});
  });
});
