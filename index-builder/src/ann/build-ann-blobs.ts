import { type EncodedBlob, encodeAnnIndex } from "../../../shared/ann/ann-blobs";
import { type AnnManifestSection } from "../../../shared/ann/ann-manifest";
import { assembleIvfPq, encodeIvfPqByChunks, trainIvfPq } from "../../../shared/ann/build-ivfpq";
import { gatherRows } from "../../../shared/seeded-random";
import { encodeInWorkers } from "./encode-in-workers";
import { type IvfPqParams } from "../../../shared/ann/ivfpq-index";
import { type TrainedEmbeddings } from "../train/train-ials";
import { calibrateNprobe, type CalibrationOptions, DEFAULT_CALIBRATION, sampleQueries } from "./calibrate-nprobe";
import { loadNodeKernel } from "./node-kernel";

/** Seeds the sample of calibration queries. */
const CALIBRATION_SEED = 17;
/** Calibration queries at most: the brute-force truth costs n*dims per query, and a 1M build should spend seconds on it. */
const CALIBRATION_QUERIES = 200;
const CALIBRATION_BUDGET = 2e9;

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
 * How the serving knobs are calibrated. `queries` caps the sampled query
 * vectors (default 200, fewer for large indexes); `queryVectors` (size
 * q*dims) replaces the embeddings' user vectors as the pool they are drawn from.
 */
export type AnnCalibrationOptions = Partial<CalibrationOptions> & { queries?: number; queryVectors?: Float32Array };

export type AnnBuildOptions = {
  seed?: number;
  embedding?: string;
  params?: Partial<IvfPqParams>;
  shardTargetBytes?: number;
  calibration?: AnnCalibrationOptions | false;
  log?: (line: string) => void;
  /** The funnel item table's row of each embedding index: the lists then store rows, and no `ann-items` blob is written. */
  tableRows?: Uint32Array;
  /** With `tableRows`: the facts page of ascending rows, stored in each shard (funnel-blobs.ts `factsPage`). */
  factsPage?: ((rows: Uint32Array) => Uint8Array) | null;
};

type AnnBlobs = { blobs: Map<string, EncodedBlob>; section: AnnManifestSection };

/**
 * Builds the ANN blobs and the manifest's `ann` section from trained item
 * vectors, for maximum inner product with user vectors (how the funnel
 * queries it). Items whose vector is all zeros (no interactions) are left
 * out: no query can rank them meaningfully. The section's `calibration`
 * holds the smallest nprobe whose recall@100 against brute force reaches
 * the target on a seeded sample of the trained user vectors (item vectors
 * when there are none); `calibration: false` skips it.
 */
export function buildAnnBlobs(embeddings: TrainedEmbeddings, options: AnnBuildOptions = {}): AnnBlobs {
  const steps = annSteps(embeddings, options);
  const encoded = encodeIvfPqByChunks(loadNodeKernel(), steps.trained, steps.vectors, 16_384);
  return steps.finish(encoded.listOf, encoded.codes, encoded.sq8Codes);
}

/**
 * `buildAnnBlobs` with the encoding spread over worker threads
 * (encode-in-workers.ts): the same blobs, byte for byte, for catalogs where
 * encoding every vector is the build's long step.
 */
export async function buildAnnBlobsInWorkers(embeddings: TrainedEmbeddings, options: AnnBuildOptions & { threads?: number } = {}): Promise<AnnBlobs> {
  const steps = annSteps(embeddings, options);
  const started = Date.now();
  let logged = 0;
  const encoded = await encodeInWorkers(steps.trained, steps.vectors, {
    ...(options.threads ? { threads: options.threads } : {}),
    onProgress: (done, total) => {
      if (done === total || Date.now() - logged > 10_000) {
        logged = Date.now();
        steps.log(`ann encode in worker threads: ${done}/${total} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      }
    },
  });
  return steps.finish(encoded.listOf, encoded.codes, encoded.sq8Codes);
}

/** Training (on samples), then, given every vector's list and codes, the blobs and the calibrated section. */
function annSteps(embeddings: TrainedEmbeddings, options: AnnBuildOptions) {
  const { dims } = embeddings;
  const keep: number[] = [];
  for (let i = 0; i < embeddings.itemIds.length; i++) {
    for (let d = i * dims; d < (i + 1) * dims; d++) {
      if (embeddings.itemVectors[d] !== 0) {
        keep.push(i);
        break;
      }
    }
  }
  // No copy when every vector is kept: at 10M items a copy is 2.5 GB.
  const vectors = keep.length === embeddings.itemIds.length ? embeddings.itemVectors : gatherRows(embeddings.itemVectors, dims, keep);
  const params = { ...defaultAnnParams(dims, keep.length), ...options.params };
  const log = options.log ?? (() => {});
  let lastStep = "";
  const started = Date.now();
  const kernel = loadNodeKernel();
  const trained = trainIvfPq(kernel, vectors, params, {
    seed: options.seed ?? 42,
    onProgress: (step, done, total) => {
      if (step !== lastStep || done === total) log(`ann ${step}: ${done}/${total} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      lastStep = step;
    },
  });
  const finish = (listOf: Uint32Array, codes: Uint8Array, sq8Codes: Uint8Array | null): AnnBlobs => {
    const index = assembleIvfPq(trained, listOf, codes, sq8Codes);
    const encoded = encodeAnnIndex(
      index,
      keep.map((row) => embeddings.itemIds[row]!),
      {
        embedding: options.embedding ?? `ials-${dims}`,
        shardTargetBytes: options.shardTargetBytes,
        ...(options.tableRows ? { tableRows: Uint32Array.from(keep, (i) => options.tableRows![i]!) } : {}),
        ...(options.factsPage ? { factsPage: options.factsPage } : {}),
      },
    );
    log(`ann index: ${keep.length} items, nlist ${params.nlist}, m ${params.m}, ${encoded.section.shards.length} shard(s)`);
    if (options.calibration === false) return encoded;

    const calibrationStarted = Date.now();
    const wanted = options.calibration?.queries ?? Math.max(20, Math.min(CALIBRATION_QUERIES, Math.floor(CALIBRATION_BUDGET / (keep.length * dims))));
    const pool = options.calibration?.queryVectors ?? embeddings.userVectors;
    const fromUsers = sampleQueries(pool, dims, wanted, CALIBRATION_SEED);
    const queries = fromUsers.length > 0 ? fromUsers : sampleQueries(vectors, dims, wanted, CALIBRATION_SEED);
    const settings: CalibrationOptions = { ...DEFAULT_CALIBRATION, ...options.calibration };
    const { calibration, curve, reached } = calibrateNprobe(kernel, index, vectors, queries, settings);
    const byNprobe = new Map<number, string[]>();
    for (const step of curve) byNprobe.set(step.nprobe, [...(byNprobe.get(step.nprobe) ?? []), step.recallAt100.toFixed(4)]);
    log(
      `ann calibration, recall@100 on ${calibration.queries} ${fromUsers.length > 0 ? "user" : "item"} vectors at shortlists ` +
        `${[...new Set(curve.map((step) => step.shortlist))].join("/")}: ${[...byNprobe].map(([nprobe, r]) => `nprobe ${nprobe} ${r.join("/")}`).join(", ")}; ` +
        `chose nprobe ${calibration.nprobe} of ${params.nlist}, shortlist ${calibration.shortlist}, recall@100 ${calibration.recallAt100}` +
        `${reached ? "" : ` (target ${calibration.targetRecall} not reached: cheapest within ${settings.tolerance} of the best)`} ` +
        `(${((Date.now() - calibrationStarted) / 1000).toFixed(1)} s)`,
    );
    return { blobs: encoded.blobs, section: { ...encoded.section, calibration } };
  };
  return { trained, vectors, log, finish };
}
