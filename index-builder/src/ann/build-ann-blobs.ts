import { type EncodedBlob, encodeAnnIndex } from "../../../shared/ann/ann-blobs";
import { type AnnManifestSection } from "../../../shared/ann/ann-manifest";
import { buildIvfPq } from "../../../shared/ann/build-ivfpq";
import { type IvfPqParams } from "../../../shared/ann/ivfpq-index";
import { type TrainedEmbeddings } from "../train/train-ials";
import { loadNodeKernel } from "./node-kernel";

/**
 * Index parameters for a catalogue of n items: about sqrt(n) lists, 4-bit
 * fast-scan codes of dims/2 sub-quantizers (dims/4 bytes), and the SQ8
 * re-scoring store; see bench/results/ann.md for why.
 */
export function defaultAnnParams(dims: number, n: number): IvfPqParams {
  const nlist = Math.max(1, Math.min(4096, 2 ** Math.round(Math.log2(Math.sqrt(n) / 1.5))));
  return { metric: "ip", dims, nlist, m: dims / 2, nbits: 4, rescore: "sq8" };
}

/**
 * Builds the ANN blobs and the manifest's `ann` section from trained item
 * vectors, for maximum inner product with user vectors (how the funnel
 * queries it). Items whose vector is all zeros (no interactions) are left
 * out: no query can rank them meaningfully.
 */
export function buildAnnBlobs(
  embeddings: TrainedEmbeddings,
  options: { seed?: number; embedding?: string; params?: Partial<IvfPqParams>; shardTargetBytes?: number; log?: (line: string) => void } = {},
): { blobs: Map<string, EncodedBlob>; section: AnnManifestSection } {
  const { dims } = embeddings;
  const keep: number[] = [];
  for (let i = 0; i < embeddings.itemIds.length; i++) {
    if (embeddings.itemVectors.subarray(i * dims, (i + 1) * dims).some((v) => v !== 0)) keep.push(i);
  }
  const vectors = new Float32Array(keep.length * dims);
  keep.forEach((row, i) => vectors.set(embeddings.itemVectors.subarray(row * dims, (row + 1) * dims), i * dims));
  const params = { ...defaultAnnParams(dims, keep.length), ...options.params };
  const log = options.log ?? (() => {});
  let lastStep = "";
  const started = Date.now();
  const index = buildIvfPq(loadNodeKernel(), vectors, params, {
    seed: options.seed ?? 42,
    onProgress: (step, done, total) => {
      if (step !== lastStep || done === total) log(`ann ${step}: ${done}/${total} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      lastStep = step;
    },
  });
  const encoded = encodeAnnIndex(index, keep.map((row) => embeddings.itemIds[row]!), {
    embedding: options.embedding ?? `ials-${dims}`,
    shardTargetBytes: options.shardTargetBytes,
  });
  log(`ann index: ${keep.length} items, nlist ${params.nlist}, m ${params.m}, ${encoded.section.shards.length} shard(s)`);
  return encoded;
}
