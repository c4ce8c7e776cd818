import { describe, expect, it } from "vitest";
import { ratingWeight } from "../../../shared/embeddings/event-weights";
import { trainingTable } from "../build/training-table";
import { type Dataset } from "./movielens";
import { defaultTransform, transformGrid, transformWeight } from "./weights";

/** A heavy-tailed log: pair counts 1..20 (many small), and one of 352,698. */
const counts = [...Array.from({ length: 99 }, (_, i) => 1 + Math.floor((i * i) / 500)), 352_698];

describe("weight transforms", () => {
  it("never turn a count into a dislike, grow with the count, and keep a huge count within 1,000 one-count rows", () => {
    for (const t of transformGrid("plays", counts)) {
      const w = [1, 2, 3, 10, 352_698].map((c) => transformWeight(c, t));
      expect(w.every((x) => x > 0)).toBe(true);
      for (let k = 1; k < w.length; k++) expect(w[k]!).toBeGreaterThanOrEqual(w[k - 1]!);
      // 352,698 plays weigh as 352,698 one-play rows raw; log(1 + c/ε) at the grid's ε keeps it under 1,000.
      expect(w[w.length - 1]! / w[0]!).toBeLessThan(1000);
    }
  });

  it("starts plays at log(1 + c/median) and purchases, clicks at ε 1", () => {
    expect(defaultTransform("plays", counts)).toEqual({ kind: "log", epsilon: 5 });
    expect(defaultTransform("purchases", counts)).toEqual({ kind: "log", epsilon: 1 });
    expect(defaultTransform("clicks", [])).toEqual({ kind: "log", epsilon: 1 });
    expect(transformGrid("ratings", counts)).toEqual([{ kind: "rating", ratingMax: 5 }, { kind: "stars", ratingMax: 5 }, { kind: "binary" }]);
  });

  it("keeps ratings' r-2 / r-3 rule, rescaled from other scales", () => {
    for (const r of [0.5, 1, 2, 2.5, 3, 4, 5]) expect(transformWeight(r, { kind: "rating", ratingMax: 5 })).toBe(ratingWeight(r));
    expect(transformWeight(10, { kind: "rating", ratingMax: 10 })).toBe(3);
    expect(transformWeight(2, { kind: "rating", ratingMax: 10 })).toBe(-2);
  });

  it("makes every rating a like under stars, its confidence growing with the stars (3 of 5 -> 1)", () => {
    const stars = { kind: "stars", ratingMax: 5 } as const;
    expect(transformWeight(3, stars)).toBe(1);
    expect(transformWeight(1, stars)).toBeGreaterThan(0);
    expect(transformWeight(5, stars)).toBeGreaterThan(transformWeight(4, stars));
    expect(transformWeight(10, { kind: "stars", ratingMax: 10 })).toBe(transformWeight(5, stars));
  });
});

describe("trainingTable", () => {
  const items = ["a", "b"].map((itemId) => ({ itemId, title: itemId, categories: [], year: null, tags: [], available: true }));

  it("applies r-2 / r-3 to ratings only: a 1- or 2-count play is a like", () => {
    const rows = [
      { userId: "u", itemId: "a", rating: null, count: 1, timestampMs: 0 },
      { userId: "v", itemId: "b", rating: null, count: 2, timestampMs: 0 },
    ];
    const plays = trainingTable({ name: "p", items, interactions: rows, weightKind: "plays" });
    expect(Array.from(plays.values).every((w) => w > 0)).toBe(true);
    const stars: Dataset = { name: "r", items, interactions: [{ userId: "u", itemId: "a", rating: 1, timestampMs: 0 }, { userId: "v", itemId: "b", rating: 4, timestampMs: 0 }] };
    expect(Array.from(trainingTable(stars).values)).toEqual([-2, 2]);
  });

  it("sums a pair's counts before the transform, one row per pair at its latest time", () => {
    const rows = [
      { userId: "u", itemId: "a", rating: null, count: 3, timestampMs: 1000 },
      { userId: "u", itemId: "b", rating: null, timestampMs: 500 },
      { userId: "u", itemId: "a", rating: null, count: 5, timestampMs: 3000 },
    ];
    const table = trainingTable({ name: "p", items, interactions: rows, weightKind: "purchases" }, { kind: "log", epsilon: 2 });
    expect(table.users).toHaveLength(2);
    expect(table.values[0]).toBeCloseTo(Math.log1p(8 / 2), 6);
    expect(table.values[1]).toBeCloseTo(Math.log1p(1 / 2), 6);
    expect(Array.from(table.timestampsSec)).toEqual([3, 0.5]);
    const binary = trainingTable({ name: "p", items, interactions: rows, weightKind: "purchases" }, { kind: "binary" });
    expect(Array.from(binary.values)).toEqual([1, 1]);
  });

  it("weighs live events by their type whatever the dataset's kind", () => {
    const table = trainingTable({ name: "p", items, interactions: [{ userId: "u", itemId: "a", rating: null, type: "dislike", timestampMs: 0 }], weightKind: "plays" });
    expect(Array.from(table.values)).toEqual([-4]);
  });
});
