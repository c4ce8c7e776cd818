import { AppError } from "../errors";
import { type ContentModel } from "./content-vector";

/** The index blob holding the content-to-embedding map (brand-new items get vectors from it). */
export const CONTENT_MODEL_BLOB = "content-model";

export function encodeContentModel(model: ContentModel): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ vocabulary: model.vocabulary, dims: model.dims, weights: Array.from(model.weights) }));
}

export function decodeContentModel(bytes: Uint8Array): ContentModel {
  const value = JSON.parse(new TextDecoder().decode(bytes)) as { vocabulary?: ContentModel["vocabulary"]; dims?: number; weights?: number[] };
  if (!value.vocabulary || !Number.isInteger(value.dims) || !Array.isArray(value.weights)) {
    throw new AppError("invalid_manifest", "content model blob lacks vocabulary, dims or weights");
  }
  return { vocabulary: value.vocabulary, dims: value.dims!, weights: Float32Array.from(value.weights) };
}
