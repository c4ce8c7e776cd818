import { describe, expect, it } from "vitest";
import { contentFeatureCount, contentFeatures, fnv1a, type ContentVocabulary } from "./content-features";
import { contentVector } from "./content-vector";

const vocabulary: ContentVocabulary = { categories: ["Comedy", "Drama"], yearStarts: [1950, 2000], tagBuckets: 4 };

describe("contentFeatures", () => {
  it("lays out bias, categories, year bucket and hashed tags", () => {
    expect(contentFeatureCount(vocabulary)).toBe(1 + 2 + 3 + 4);
    const f = contentFeatures({ categories: ["Drama", "Comedy", "Western"], year: 1999, tags: ["Funny"] }, vocabulary);
    const tagSlot = 6 + (fnv1a("funny") % 4);
    const expected = [1, 1 / Math.SQRT2, 1 / Math.SQRT2, 1, 0, 0, 0, 0, 0, 0];
    expected[tagSlot] = 1;
    expect(Array.from(f)).toEqual(expected.map((x) => Math.fround(x)));
    const unknownYear = contentFeatures({ categories: [], year: null, tags: [] }, vocabulary);
    expect(Array.from(unknownYear.subarray(3, 6))).toEqual([0, 0, 1]);
    expect(contentFeatures({ categories: [], year: 1900, tags: [] }, vocabulary)[3]).toBe(1);
  });

  it("hashes like 32-bit FNV-1a", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
  });
});

describe("contentVector", () => {
  it("is featuresᵀ·W", () => {
    const n = contentFeatureCount(vocabulary);
    const weights = Float32Array.from({ length: n * 2 }, (_, k) => k);
    const v = contentVector({ vocabulary, dims: 2, weights }, { categories: ["Comedy"], year: 2010, tags: [] });
    // Rows: bias 0, Comedy 1, year bucket 1 (from 2000) at 1 + 2 + 1 = 4.
    expect(Array.from(v)).toEqual([0 + 2 + 8, 1 + 3 + 9]);
  });
});
