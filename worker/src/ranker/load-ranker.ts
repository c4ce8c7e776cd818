import { readVerifiedBlob } from "../../../shared/index-format/index-reader";
import { type IndexManifest } from "../../../shared/index-format/manifest";
import { parseRankerSpec, RANKER_BLOBS, type RankerSpec } from "../../../shared/ranking/onnx-ranker";
import { type RankerModel, rankerFromOnnx } from "../../../shared/ranking/ranker-model";

/** A version's heavy ranker, verified against the manifest and the running feature code. */
export interface LoadedRanker {
  spec: RankerSpec;
  /** The ONNX bytes `heavyRank` runs. */
  modelBytes: Uint8Array;
  /** SHA-256 of `modelBytes` from the manifest: the session cache key. */
  modelSha256: string;
  /** The same model (an MLP or an oblivious forest) for shared/ranking/ranker-model.ts `rankerScore`: needs no ORT. */
  model: RankerModel;
}

const MAX_VERSIONS = 2;
const loaded = new Map<string, LoadedRanker>();

/**
 * The heavy ranker of a published version, or why it cannot be used (a
 * `degraded` code: `ranker_not_built`, `ranker-model_missing`,
 * `ranker-spec_checksum_mismatch`, `ranker_feature_mismatch`, ...). Kept per
 * isolate once loaded: versions are immutable.
 */
export async function loadRanker(kv: KVNamespace, manifest: IndexManifest): Promise<LoadedRanker | { degraded: string }> {
  const hit = loaded.get(manifest.version);
  if (hit) return hit;
  const modelRef = manifest.blobs[RANKER_BLOBS.model];
  if (!modelRef || !manifest.blobs[RANKER_BLOBS.spec]) return { degraded: "ranker_not_built" };
  const [model, spec] = await Promise.all([readVerifiedBlob(kv, manifest, RANKER_BLOBS.model), readVerifiedBlob(kv, manifest, RANKER_BLOBS.spec)]);
  if ("fault" in model) return { degraded: `${RANKER_BLOBS.model}_${model.fault}` };
  if ("fault" in spec) return { degraded: `${RANKER_BLOBS.spec}_${spec.fault}` };
  const parsed = parseRankerSpec(spec.bytes);
  if ("problem" in parsed) return { degraded: parsed.problem };
  if (parsed.spec.modelSha256 !== modelRef.sha256) return { degraded: "ranker_spec_mismatch" };
  let parsedModel: RankerModel;
  try {
    parsedModel = rankerFromOnnx(model.bytes);
  } catch {
    return { degraded: "ranker_model_invalid" };
  }
  const ranker: LoadedRanker = { spec: parsed.spec, modelBytes: model.bytes, modelSha256: modelRef.sha256, model: parsedModel };
  loaded.set(manifest.version, ranker);
  while (loaded.size > MAX_VERSIONS) loaded.delete(loaded.keys().next().value!);
  return ranker;
}
