import { type ContentDescription, contentFeatureCount, contentFeatures, type ContentVocabulary } from "./content-features";

/**
 * A linear map from content features into the collaborative embedding space,
 * so an item nobody has interacted with yet still gets a vector that ANN
 * retrieval and user vectors can score against.
 */
export interface ContentModel {
  vocabulary: ContentVocabulary;
  dims: number;
  /** W, size contentFeatureCount(vocabulary)*dims, row-major: vector = featuresᵀ·W. */
  weights: Float32Array;
}

/** The item's predicted embedding (size dims). */
export function contentVector(model: ContentModel, item: ContentDescription, out?: Float32Array): Float32Array {
  const f = contentFeatures(item, model.vocabulary);
  const d = model.dims;
  const v = out ?? new Float32Array(d);
  v.fill(0);
  const n = contentFeatureCount(model.vocabulary);
  for (let k = 0; k < n; k++) {
    const x = f[k]!;
    if (x === 0) continue;
    const row = k * d;
    for (let j = 0; j < d; j++) v[j]! += x * model.weights[row + j]!;
  }
  return v;
}
