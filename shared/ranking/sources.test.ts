import { describe, expect, it } from "vitest";
import { type CovisitLists, neighborsOf } from "../covisit/covisit-lists";
import { type PopularBlob } from "../index-format/popular";
import { type Candidate } from "./candidate";
import { DEFAULT_LIGHT_WEIGHTS, lightScores } from "./light-rank";
import { mergeCandidates } from "./merge-candidates";
import { decodeCursor, encodeCursor } from "./page-cursor";
import { reasonsFor } from "./reasons";
import { categoryItems, covisitItems, popularItems } from "./sources";

// Item i's neighbours: i+1 (0.9), i+2 (0.5).
const lists: CovisitLists = {
  offsets: Uint32Array.from([0, 2, 4, 6, 8, 10]),
  neighbors: Uint32Array.from([1, 2, 2, 3, 3, 4, 4, 0, 0, 1]),
  scores: Float32Array.from([0.9, 0.5, 0.9, 0.5, 0.9, 0.5, 0.9, 0.5, 0.9, 0.5]),
};
const idOf = (row: number) => `i${row}`;

describe("candidate sources, each alone", () => {
  it("co-visitation sums weighted similarities and remembers the strongest contributor", () => {
    const items = covisitItems(
      (row) => neighborsOf(lists, row),
      [
        { row: 0, itemId: "i0", weight: 1 },
        { row: 1, itemId: "i1", weight: 2 },
      ],
      idOf,
      10,
    );
    // i2: 1*0.5 (from i0) + 2*0.9 (from i1) = 2.3; i3: 2*0.5 = 1.0; i1: 0.9 from i0.
    expect(items.map((x) => [x.itemId, Number(x.score.toFixed(3)), x.becauseOf])).toEqual([
      ["i2", 2.3, "i1"],
      ["i3", 1, "i1"],
      ["i1", 0.9, "i0"],
    ]);
    const disliked = covisitItems((row) => neighborsOf(lists, row), [{ row: 0, itemId: "i0", weight: -1 }], idOf, 10);
    expect(disliked).toEqual([]);
  });

  it("content matches interleave categories by weight and never repeat an item", () => {
    const popular: PopularBlob = {
      asOf: "",
      halfLifeDays: 1,
      items: ["a1", "a2", "a3", "b1", "b2", "ab"].map((itemId, i) => ({ itemId, title: itemId, categories: [], score: 10 - i })),
      byCategory: { A: [0, 1, 2, 5], B: [3, 4, 5] },
    };
    const items = categoryItems(
      popular,
      [
        { category: "A", weight: 3 },
        { category: "B", weight: 1 },
        { category: "none", weight: 5 },
      ],
      10,
    );
    const ids = items.map((x) => x.itemId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, 4).filter((id) => id.startsWith("a")).length).toBe(3);
    expect(ids).toContain("b1");
    expect(categoryItems(popular, [], 5)).toEqual([]);
  });

  it("content matches read only the categories the popular blob lists, whatever they are called", () => {
    const popular = JSON.parse(
      JSON.stringify({ asOf: "", halfLifeDays: 1, items: [{ itemId: "p1", title: "p1", categories: [], score: 1 }], byCategory: {} }).replace(
        '"byCategory":{}',
        '"byCategory":{"__proto__":[0]}',
      ),
    ) as PopularBlob;
    const interests = ["constructor", "toString", "__proto__"].map((category) => ({ category, weight: 1 }));
    expect(categoryItems(popular, interests, 5)).toEqual([{ itemId: "p1", score: 1 }]);
  });

  it("popular falls back to the manifest's bare list", () => {
    expect(popularItems(null, ["x", "y", "z"], 2)).toEqual([
      { itemId: "x", score: 3 },
      { itemId: "y", score: 2 },
    ]);
  });
});

describe("merging and light ranking", () => {
  it("keeps every source's score per item, cuts each source to its quota, and drops excluded items", () => {
    const merged = mergeCandidates(
      [
        {
          source: "ann",
          quota: 2,
          items: [
            { itemId: "a", score: 3 },
            { itemId: "seen", score: 2 },
            { itemId: "b", score: 1 },
            { itemId: "c", score: 0 },
          ],
        },
        { source: "covisit", quota: 5, items: [{ itemId: "b", score: 7, becauseOf: "x" }] },
      ],
      new Set(["seen"]),
    );
    expect(merged).toEqual([
      { itemId: "a", sources: { ann: 3 } },
      { itemId: "b", sources: { ann: 1, covisit: 7 }, becauseOf: "x" },
    ]);
  });

  it("scores an item proposed by more and stronger sources higher, and shown items lower", () => {
    const candidates: Candidate[] = [
      { itemId: "both", sources: { ann: 1, covisit: 1 } },
      { itemId: "one", sources: { ann: 2 } },
      { itemId: "shown", sources: { ann: 3 } },
    ];
    const user = { affinities: {}, declaredCategories: [], historyLength: 1, impressionCounts: { shown: 20 }, surface: "home" as const, nowMs: 0 };
    const s = lightScores(candidates, new Map(), user, DEFAULT_LIGHT_WEIGHTS);
    expect(s[0]).toBeGreaterThan(s[1]!);
    expect(s[2]).toBeLessThan(s[1]!);
  });
});

describe("reasons and cursors", () => {
  it("names the watched item, trending, newness and exploration", () => {
    const codes = (c: Candidate, explored = false) =>
      reasonsFor(c, { explored, region: "us", contextTitle: null, titleOf: (id) => (id === "x" ? "Heat" : null), categories: [] }).map((r) => r.text);
    expect(codes({ itemId: "a", sources: { covisit: 1 }, becauseOf: "x" })).toEqual(["Because you watched Heat"]);
    expect(codes({ itemId: "a", sources: { trending: 1, fresh: 1 } })).toEqual(["New", "Trending in your region"]);
    expect(codes({ itemId: "a", sources: { popular: 1 } }, true)[0]).toBe("Something different we think you may like");
  });

  it("round-trips cursors and refuses forged ones", () => {
    const cursor = { offset: 20, sessionVersion: 3, indexVersion: "20260101T000000Z-abc", startedMs: 1_700_000_000_000 };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    for (const bad of ["", "!!", btoa("[1,2]"), btoa('[-1,0,"v",0]'), "a".repeat(500)]) expect(decodeCursor(bad)).toBeNull();
  });
});
