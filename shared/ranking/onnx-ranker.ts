import { AppError } from "../errors";
import { FEATURE_NAMES, FEATURE_SPEC_VERSION } from "./features";
import { ONNX_INPUT, ONNX_OUTPUT } from "./onnx-export";

/** Index blobs of the heavy ranker. */
export const RANKER_BLOBS = {
  /** ONNX ModelProto (shared/ranking/onnx-export.ts): input `features` float32 [batch, FEATURE_COUNT], output `score` float32 [batch, 1]. */
  model: "ranker-model",
  /** JSON `RankerSpec`. */
  spec: "ranker-spec",
} as const;

export const RANKER_SPEC_FORMAT = 1;

/** The `ranker-spec` blob: what the model expects and how it did offline. */
export interface RankerSpec {
  formatVersion: typeof RANKER_SPEC_FORMAT;
  /** FEATURE_SPEC_VERSION and FEATURE_NAMES of the code that trained the model. */
  featureSpecVersion: number;
  featureNames: string[];
  input: string;
  output: string;
  /** Lower-case hex SHA-256 of the model blob: the per-isolate session cache key. */
  modelSha256: string;
  /** Layer widths, input first (e.g. [28, 32, 16, 1]). */
  widths: number[];
  /** Offline validation figures, for people and CI (see index-builder/src/ranker). */
  validation: Record<string, unknown>;
}

/** The spec of a model trained by this code's features (its input and output names, FEATURE_SPEC_VERSION, FEATURE_NAMES). */
export function rankerSpecOf(modelSha256: string, widths: number[], validation: Record<string, unknown>): RankerSpec {
  return {
    formatVersion: RANKER_SPEC_FORMAT,
    featureSpecVersion: FEATURE_SPEC_VERSION,
    featureNames: [...FEATURE_NAMES],
    input: ONNX_INPUT,
    output: ONNX_OUTPUT,
    modelSha256,
    widths,
    validation,
  };
}

/**
 * Parses the spec blob and checks it against the running code's feature
 * definition. Returns the spec, or the reason the model must not be used:
 * a model trained on other columns would score garbage, so the caller keeps
 * the light scores and names this reason in `degraded`.
 */
export function parseRankerSpec(bytes: Uint8Array): { spec: RankerSpec } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return { problem: "ranker_spec_invalid" };
  }
  const spec = value as RankerSpec;
  if (typeof spec !== "object" || spec === null || spec.formatVersion !== RANKER_SPEC_FORMAT || !Array.isArray(spec.featureNames)) {
    return { problem: "ranker_spec_invalid" };
  }
  if (
    spec.featureSpecVersion !== FEATURE_SPEC_VERSION ||
    spec.featureNames.length !== FEATURE_NAMES.length ||
    spec.featureNames.some((n, i) => n !== FEATURE_NAMES[i])
  ) {
    return { problem: "ranker_feature_mismatch" };
  }
  return { spec };
}

/** Serialises a spec for the index; throws if it does not describe the current feature set. */
export function encodeRankerSpec(spec: RankerSpec): Uint8Array {
  const bytes = new TextEncoder().encode(JSON.stringify(spec));
  const check = parseRankerSpec(bytes);
  if ("problem" in check) throw new AppError("internal", `ranker spec does not match this build's features: ${check.problem}`);
  return bytes;
}
