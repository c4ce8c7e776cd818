import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { decodePopularBlob, encodePopularBlob } from "../../../shared/index-format/popular";
import { type Interaction } from "../data/movielens";
import { computePopular, popularFromMass, popularFromOrder } from "./popularity";

const DAY = 86_400_000;
const item = (id: string, categories: string[], available = true): CatalogItem => ({ itemId: id, title: id, categories, year: null, tags: [], available });
const hit = (itemId: string, daysAgo: number, now = 1000 * DAY): Interaction => ({ userId: "u", itemId, rating: null, timestampMs: now - daysAgo * DAY });

describe("computePopular", () => {
  it("matches a brute-force decayed count", () => {
    const items = [item("1", ["A"]), item("2", ["A", "B"]), item("3", ["B"])];
    const interactions = [hit("1", 0), hit("1", 10), hit("2", 10), hit("2", 10), hit("2", 10), hit("3", 20)];
    const blob = computePopular(items, interactions, { halfLifeDays: 10, overallSize: 10, perCategorySize: 10 });
    const expected = new Map([
      ["1", 1 + 0.5],
      ["2", 1.5],
      ["3", 0.25],
    ]);
    // Ties (1 and 2 both 1.5) go to the smaller id.
    expect(blob.items.map((x) => x.itemId)).toEqual(["1", "2", "3"]);
    for (const x of blob.items) expect(x.score).toBeCloseTo(expected.get(x.itemId)!, 6);
    expect(blob.byCategory).toEqual({ A: [0, 1], B: [1, 2] });
    expect(blob.asOf).toBe(new Date(1000 * DAY).toISOString());
  });

  it("weighs recent interactions more, leaves out unavailable and unseen items", () => {
    const items = [item("old", ["A"]), item("new", ["A"]), item("gone", ["A"], false), item("never", ["A"])];
    const blob = computePopular(items, [hit("old", 400), hit("old", 400), hit("old", 400), hit("new", 0), hit("new", 0), hit("gone", 0)], {
      halfLifeDays: 100,
      overallSize: 10,
      perCategorySize: 10,
    });
    expect(blob.items.map((x) => x.itemId)).toEqual(["new", "old"]);
  });

  it("lists categories named like Object.prototype's properties, __proto__ included, through the blob's JSON", () => {
    const names = ["__proto__", "constructor", "toString", "hasOwnProperty"];
    const items = [item("1", names), item("2", ["__proto__"]), item("3", ["A"])];
    const blob = computePopular(items, [hit("1", 0), hit("1", 0), hit("2", 0), hit("3", 5)], { halfLifeDays: 10, overallSize: 10, perCategorySize: 10 });
    const read = decodePopularBlob(encodePopularBlob(blob));
    expect(Object.keys(read.byCategory).sort()).toEqual([...names, "A"].sort());
    for (const [category, positions] of [
      ["__proto__", [0, 1]],
      ["constructor", [0]],
      ["toString", [0]],
      ["hasOwnProperty", [0]],
      ["A", [2]],
    ] as const) {
      expect(Object.hasOwn(read.byCategory, category), category).toBe(true);
      expect(read.byCategory[category], category).toEqual(positions);
    }
  });

  it("caps the lists and keeps every category list sorted and pointing at its category", () => {
    const items = Array.from({ length: 50 }, (_, i) => item(String(i), [i % 3 === 0 ? "A" : "B"]));
    const interactions = items.flatMap((x, i) => Array.from({ length: 50 - i }, () => hit(x.itemId, i)));
    const blob = computePopular(items, interactions, { halfLifeDays: 30, overallSize: 5, perCategorySize: 4 });
    for (const [category, positions] of Object.entries(blob.byCategory)) {
      expect(positions.length).toBe(4);
      const scores = positions.map((p) => blob.items[p]!.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      for (const p of positions) expect(blob.items[p]!.categories).toContain(category);
    }
    const scores = blob.items.map((x) => x.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });
});

describe("popularFromOrder", () => {
  it("equals popularFromMass over every item", () => {
    const item = fc.record({
      categories: fc.uniqueArray(fc.constantFrom("A", "B", "C", "rare"), { maxLength: 2 }),
      // Near-ties that rounding to 1e-6 merges, exact ties, and no mass at all.
      mass: fc.constantFrom(0, 1, 1.0000001, 1.0000004, 2, 2.5, 3, 3.0000002, 10),
      available: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 80 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 6 }), (drawn, overallSize, perCategorySize) => {
        const items: CatalogItem[] = drawn.map((d, i) => ({
          itemId: String(i),
          title: `t${i}`,
          categories: d.categories,
          year: null,
          tags: [],
          available: d.available,
        }));
        const mass = new Map(drawn.map((d, i) => [String(i), d.mass]));
        const options = { halfLifeDays: 1, overallSize, perCategorySize };
        // Descending mass, ties in reverse index order (any tie order will do).
        const order = items.map((_, i) => i).sort((a, b) => drawn[b]!.mass - drawn[a]!.mass || b - a);
        expect(
          popularFromOrder(
            order,
            (i) => items[i]!,
            (i) => drawn[i]!.mass,
            0,
            options,
          ),
        ).toEqual(popularFromMass(items, mass, 0, options));
      }),
      { numRuns: 500 },
    );
  });
});
