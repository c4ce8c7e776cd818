import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../shared/checksum";
import { blobKey } from "../../shared/index-format/keys";
import { type IndexManifest } from "../../shared/index-format/manifest";
import { fixtureManifest } from "./fixtures";
import { FEATURE_COUNT } from "../../shared/ranking/features";
import { mlpScore } from "../../shared/ranking/mlp";
import { randomForest, randomMlp, uniform } from "../fixtures/funnel-index";
import { exportMlpToOnnx } from "../../shared/ranking/onnx-export";
import { forestScore } from "../../shared/ranking/oblivious-trees";
import { exportForestToOnnx } from "../../shared/ranking/onnx-trees";
import { rankerScore } from "../../shared/ranking/ranker-model";
import { encodeRankerSpec, RANKER_BLOBS, rankerSpecOf } from "../../shared/ranking/onnx-ranker";
import { heavyRank, RANKER_RETRY_MS, rankerFailed, rankerReady, warmRanker } from "../../worker/src/ranker/heavy-rank";
import { loadRanker } from "../../worker/src/ranker/load-ranker";

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** A manifest that ships only a heavy ranker: its model and spec blobs. */
function rankerManifest(version: string, model: Uint8Array, spec: Uint8Array): Promise<IndexManifest> {
  return fixtureManifest(version, {
    [RANKER_BLOBS.model]: { bytes: model, contentType: "application/octet-stream" },
    [RANKER_BLOBS.spec]: { bytes: spec, contentType: "application/json" },
  });
}

/** Puts the manifest's ranker blobs into KV, as a publish does. */
async function storeRanker(manifest: IndexManifest, model: Uint8Array, spec: Uint8Array): Promise<void> {
  const ref = manifest.blobs[RANKER_BLOBS.model]!;
  await env.INDEX_KV.put(blobKey(ref.sha256), model, { metadata: { sha256: ref.sha256, bytes: model.byteLength, contentType: "application/octet-stream" } });
  await env.INDEX_KV.put(blobKey(manifest.blobs[RANKER_BLOBS.spec]!.sha256), spec);
}

describe("heavy ranker in workerd (onnxruntime-web)", () => {
  const model = randomMlp(3);
  const bytes = exportMlpToOnnx(model);
  const n = 100;
  const next = uniform(9);
  const rows = Float32Array.from({ length: n * FEATURE_COUNT }, () => next() * 3);

  // The first call imports ORT (~10 s in the vitest pool, hundreds of ms in a deployed isolate).
  it("scores a batch as the TypeScript MLP does, and is ready afterwards", { timeout: 90_000 }, async () => {
    const sha = await sha256Hex(bytes);
    expect(rankerReady(sha)).toBe(false);
    const scores = await heavyRank(bytes, rows, n, sha);
    expect(rankerReady(sha)).toBe(true);
    expect(scores).toHaveLength(n);
    expect(maxAbsDiff(scores, mlpScore(model, rows, n))).toBeLessThan(1e-5);
    expect(await heavyRank(bytes, rows, n, sha)).toEqual(scores);
  });

  it("scores the linear scorer the builder trains (one Gemm and a Sigmoid) as the TypeScript model does", async () => {
    const linear = randomMlp(4, []);
    const linearBytes = exportMlpToOnnx(linear);
    const scores = await heavyRank(linearBytes, rows, n, await sha256Hex(linearBytes));
    expect(maxAbsDiff(scores, mlpScore(linear, rows, n))).toBeLessThan(1e-5);
  });

  // Trees in standard operators only (Gather, Greater, Cast, Reshape, MatMul, Add, ReduceSum, Mul): ORT in workerd must run them.
  it("scores LambdaMART's oblivious forests as the TypeScript forest does, at every depth, with rows exactly on a threshold", async () => {
    for (const [seed, trees, depth] of [
      [11, 1, 1],
      [12, 60, 3],
      [13, 200, 6],
      [14, 25, 8],
    ] as const) {
      const forest = randomForest(seed, trees, depth);
      const onThreshold = Float32Array.from(rows);
      // Every other row puts each tested column exactly on one of its thresholds: "greater than" must send it to the 0 side in both.
      for (let r = 0; r < n; r += 2)
        for (let k = 0; k < forest.features.length; k += 7) onThreshold[r * FEATURE_COUNT + forest.features[k]!] = forest.thresholds[k]!;
      const onnx = exportForestToOnnx(forest);
      const scores = await heavyRank(onnx, onThreshold, n, await sha256Hex(onnx));
      expect(scores).toHaveLength(n);
      expect(maxAbsDiff(scores, forestScore(forest, onThreshold, n))).toBeLessThan(1e-4);
    }
  });

  it("loads a published forest from KV and scores it without ORT as ORT does", async () => {
    const forest = randomForest(21, 50, 4);
    const onnx = exportForestToOnnx(forest);
    const sha = await sha256Hex(onnx);
    const spec = encodeRankerSpec(rankerSpecOf(sha, [FEATURE_COUNT, 1], {}));
    const manifest = await rankerManifest("v-forest", onnx, spec);
    await storeRanker(manifest, onnx, spec);
    const ranker = await loadRanker(env.INDEX_KV, manifest);
    if ("degraded" in ranker) throw new Error(ranker.degraded);
    expect(ranker.model).toEqual(forest);
    expect(maxAbsDiff(await heavyRank(ranker.modelBytes, rows, n, sha), rankerScore(ranker.model, rows, n))).toBeLessThan(1e-4);
  });

  it("serves concurrent calls and an empty batch", async () => {
    const [a, b, empty] = await Promise.all([heavyRank(bytes, rows, n), heavyRank(bytes, rows.subarray(0, 10 * FEATURE_COUNT), 10), heavyRank(bytes, rows, 0)]);
    expect(b).toEqual(a.subarray(0, 10));
    expect(empty).toHaveLength(0);
  });

  it("loads a published version's ranker from KV, verified against its spec", async () => {
    const version = "v-ranker";
    const sha = await sha256Hex(bytes);
    const spec = encodeRankerSpec(rankerSpecOf(sha, [FEATURE_COUNT, 32, 16, 1], {}));
    const manifest = await rankerManifest(version, bytes, spec);
    expect(await loadRanker(env.INDEX_KV, manifest)).toEqual({ degraded: "ranker-model_missing" });
    await storeRanker(manifest, bytes, spec);
    const ranker = await loadRanker(env.INDEX_KV, manifest);
    if ("degraded" in ranker) throw new Error(ranker.degraded);
    expect(ranker.modelSha256).toBe(sha);
    expect(await warmRanker(ranker.modelBytes, ranker.modelSha256)).toBe(true);
    expect(rankerScore(ranker.model, rows, n)).toEqual(mlpScore(model, rows, n));
    expect(await loadRanker(env.INDEX_KV, { ...manifest, version: "v-no-ranker", blobs: {} })).toEqual({ degraded: "ranker_not_built" });
  });

  it("remembers a model ONNX Runtime cannot load, and lets a request retry only after a while", async () => {
    const garbage = new TextEncoder().encode("not an onnx model");
    const sha = await sha256Hex(garbage);
    expect(rankerFailed(sha)).toBe(false);
    expect(await warmRanker(garbage, sha)).toBe(false);
    expect(rankerReady(sha)).toBe(false);
    expect(rankerFailed(sha)).toBe(true);
    expect(rankerFailed(sha, Date.now() + RANKER_RETRY_MS + 1)).toBe(false);
    await expect(heavyRank(garbage, new Float32Array(FEATURE_COUNT), 1, sha)).rejects.toThrow(/heavy ranker failed/);
  });
});
