import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { choleskySolveInPlace } from "../../../shared/embeddings/cholesky";
import { contentFeatureCount, contentFeatures, type ContentVocabulary } from "../../../shared/embeddings/content-features";
import { type ContentModel } from "../../../shared/embeddings/content-vector";

export interface ContentRegressionOptions {
  /** Ridge strength λ in (FᵀF + λI)W = FᵀY; 10 won on a 90/10 split of the demo's warm items (eval/cold-start.ts). */
  ridge: number;
  /** Items with fewer interactions have vectors shrunk towards 0 by ALS; they are left out of the fit. */
  minInteractions: number;
  tagBuckets: number;
  yearStarts: number[];
}

export const DEFAULT_CONTENT: ContentRegressionOptions = {
  ridge: 10,
  minInteractions: 5,
  tagBuckets: 256,
  yearStarts: [1900, 1930, 1950, 1960, 1970, 1980, 1990, 1995, 2000, 2005, 2010, 2015],
};

/**
 * Fits the ridge regression from content features to trained item vectors on
 * items with enough interactions (the "map content into the collaborative
 * space" of issue 4). `items[i]` describes row i of `itemVectors` (size
 * items.length*dims, row-major); `interactions[i]` is its training count.
 */
export function fitContentModel(
  items: readonly CatalogItem[],
  itemVectors: Float32Array,
  dims: number,
  interactions: ArrayLike<number>,
  options: ContentRegressionOptions = DEFAULT_CONTENT,
): ContentModel {
  const categories = [...new Set(items.flatMap((item) => item.categories))].sort();
  const vocabulary: ContentVocabulary = { categories, yearStarts: options.yearStarts, tagBuckets: options.tagBuckets };
  const f = contentFeatureCount(vocabulary);
  const ftf = new Float64Array(f * f);
  const fty = new Float64Array(f * dims);
  const features = new Float32Array(f);
  items.forEach((item, i) => {
    if ((interactions[i] ?? 0) < options.minInteractions) return;
    contentFeatures(item, vocabulary, features);
    for (let a = 0; a < f; a++) {
      const xa = features[a]!;
      if (xa === 0) continue;
      for (let b = 0; b < f; b++) ftf[a * f + b]! += xa * features[b]!;
      for (let j = 0; j < dims; j++) fty[a * dims + j]! += xa * itemVectors[i * dims + j]!;
    }
  });
  for (let a = 0; a < f; a++) ftf[a * f + a]! += options.ridge;
  const weights = new Float32Array(f * dims);
  const a = new Float64Array(f * f);
  const b = new Float64Array(f);
  for (let j = 0; j < dims; j++) {
    a.set(ftf);
    for (let k = 0; k < f; k++) b[k] = fty[k * dims + j]!;
    if (!choleskySolveInPlace(a, b, f)) throw new Error("content regression: system is not positive definite");
    for (let k = 0; k < f; k++) weights[k * dims + j] = b[k]!;
  }
  return { vocabulary, dims, weights };
}
