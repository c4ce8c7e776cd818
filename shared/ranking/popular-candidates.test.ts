import { describe, expect, it } from "vitest";
import { type PopularBlob } from "../index-format/popular";
import { popularCandidates } from "./popular-candidates";

/** Small seeded PRNG (mulberry32) so the property runs are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBlob(rand: () => number, n: number): PopularBlob {
  const cats = ["a", "b", "c"];
  const items = Array.from({ length: n }, (_, i) => ({
    itemId: `i${i}`,
    title: `T${i}`,
    categories: cats.filter(() => rand() < 0.4),
    score: 0,
  }))
    .map((x) => ({ ...x, score: Math.round(rand() * 1000) }))
    .sort((x, y) => y.score - x.score);
  const byCategory: Record<string, number[]> = {};
  items.forEach((x, i) => x.categories.forEach((c) => (byCategory[c] ??= []).push(i)));
  return { asOf: "", halfLifeDays: 1, items, byCategory };
}

describe("popularCandidates", () => {
  it("equals a filter-then-take reference on random inputs", () => {
    const rand = rng(42);
    for (let run = 0; run < 200; run++) {
      const popular = randomBlob(rand, 1 + Math.floor(rand() * 60));
      const exclude = new Set(popular.items.filter(() => rand() < 0.3).map((x) => x.itemId));
      const category = [null, "a", "b", "c", "zzz"][Math.floor(rand() * 5)] ?? null;
      const limit = 1 + Math.floor(rand() * 30);
      const { items, degraded } = popularCandidates({ popular, fallbackItemIds: [], excludeItemIds: exclude, category, limit });

      const reference = popular.items
        .filter((x) => category === null || x.categories.includes(category))
        .filter((x) => !exclude.has(x.itemId))
        .slice(0, limit);
      expect(items.map((x) => x.itemId)).toEqual(reference.map((x) => x.itemId));
      expect(items.map((x) => x.rank)).toEqual(reference.map((_, i) => i + 1));
      expect(degraded).toEqual([]);
    }
  });

  it("serves the bare fallback list, minus excluded items, and says it degraded", () => {
    const { items, degraded } = popularCandidates({
      popular: null,
      fallbackItemIds: ["a", "b", "c", "d"],
      excludeItemIds: new Set(["b"]),
      category: null,
      limit: 2,
    });
    expect(items.map((x) => [x.itemId, x.rank, x.title])).toEqual([["a", 1, null], ["c", 2, null]]);
    expect(degraded).toEqual(["popular_fallback_list"]);
  });
});
