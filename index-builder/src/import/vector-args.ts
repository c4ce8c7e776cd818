import { resolve } from "node:path";
import { type VectorImport } from "../build/imported-embeddings";
import { oneOf } from "../cli-options";
import { readVectorFile, VECTOR_FORMATS, type VectorFileOptions } from "./vector-file";

/** `build`'s options for vectors trained elsewhere, in `node:util` parseArgs form. */
export const VECTOR_ARGS = {
  "item-vectors": { type: "string" },
  "user-vectors": { type: "string" },
  "vector-format": { type: "string" },
  "vector-id-column": { type: "string" },
  "vector-column": { type: "string" },
  "fold-in-alpha": { type: "string" },
  "fold-in-lambda": { type: "string" },
} as const;

/** Spark MLlib ALS's defaults (alpha 1.0, regParam 0.1). */
export const DEFAULT_FOLD_IN = { alpha: 1, regularization: 0.1 };

export const VECTOR_USAGE = `  --item-vectors FILE item vectors trained elsewhere (Parquet as Spark ALS writes itemFactors: id, features
                      array<float>; or a structured .npy of id + float vector), served instead of iALS trained here
  --user-vectors FILE the matching user vectors (userFactors): ANN calibration queries and a fold-in check
  --vector-format F   parquet or npy when the extension does not say
  --vector-id-column C, --vector-column C   names when not id/features (or item_id, vector, embedding, ...)
  --fold-in-alpha A, --fold-in-lambda L     the training's implicit alpha and lambda, for request-time
                      fold-in (default ${DEFAULT_FOLD_IN.alpha} and ${DEFAULT_FOLD_IN.regularization}, Spark's defaults)`;

type VectorArgValues = Partial<Record<keyof typeof VECTOR_ARGS, string>>;

/** Reads the files the options name (null without --item-vectors); throws a message naming a bad option or file row. */
export async function vectorImportFrom(values: VectorArgValues, log: (line: string) => void = () => {}): Promise<VectorImport | null> {
  const itemFile = values["item-vectors"];
  if (!itemFile) {
    if (values["user-vectors"]) throw new Error("--user-vectors needs --item-vectors");
    return null;
  }
  const format = oneOf("--vector-format", values["vector-format"], VECTOR_FORMATS);
  const alpha = Number(values["fold-in-alpha"] ?? DEFAULT_FOLD_IN.alpha);
  const regularization = Number(values["fold-in-lambda"] ?? DEFAULT_FOLD_IN.regularization);
  if (!(alpha >= 0)) throw new Error("--fold-in-alpha must be a number >= 0");
  if (!(regularization > 0)) throw new Error("--fold-in-lambda must be a positive number");
  const options: VectorFileOptions = {
    ...(format ? { format } : {}),
    ...(values["vector-id-column"] ? { idColumn: values["vector-id-column"] } : {}),
    ...(values["vector-column"] ? { vectorColumn: values["vector-column"] } : {}),
  };
  const started = Date.now();
  const items = await readVectorFile(resolve(itemFile), options);
  const users = values["user-vectors"] ? await readVectorFile(resolve(values["user-vectors"]), options) : null;
  log(
    `read ${items.ids.length} item${users ? ` and ${users.ids.length} user` : ""} vectors (${items.dims} dims) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  // Spark's implicit ALS scales lambda by each user's count of positive entries; fold-in here uses one lambda (regExponent 0).
  return { items, users, params: { alpha, regularization, regExponent: 0 } };
}
