import { describe, expect, it } from "vitest";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { contentVector } from "../../../shared/embeddings/content-vector";
import { fitContentModel } from "./content-regression";
import { mulberry32 } from "./seeded-random";

describe("fitContentModel", () => {
  it("recovers item vectors that are a linear function of the content, ignoring rarely seen items", () => {
    const rand = mulberry32(9);
    const genres = ["A", "B", "C", "D"];
    const genreVectors = genres.map(() => [rand() - 0.5, rand() - 0.5, rand() - 0.5]);
    const items: CatalogItem[] = Array.from({ length: 200 }, (_, i) => ({
      itemId: String(i),
      title: String(i),
      categories: [genres[i % 4]!],
      year: null,
      tags: [],
      available: true,
    }));
    const dims = 3;
    const vectors = new Float32Array(items.length * dims);
    items.forEach((item, i) => vectors.set(genreVectors[i % 4]!, i * dims));
    // Rare items carry garbage vectors; they must not disturb the fit.
    const counts = items.map((_, i) => (i % 10 === 0 ? 1 : 50));
    for (let i = 0; i < items.length; i += 10) vectors.set([9, 9, 9], i * dims);
    const model = fitContentModel(items, vectors, dims, counts, { ridge: 1e-6, minInteractions: 5, tagBuckets: 8, yearStarts: [] });
    genres.forEach((g, k) => {
      const v = contentVector(model, { categories: [g], year: null, tags: [] });
      for (let j = 0; j < dims; j++) expect(v[j]).toBeCloseTo(genreVectors[k]![j]!, 3);
    });
  });
});
