import { type AnnCalibration } from "../../../shared/ann/ann-manifest";
import { ANN_CALIBRATION_K } from "../../../shared/ranking/ann-request";
import { bruteForceSearch, recallAtK } from "../../../shared/ann/brute-force";
import { type IvfPqIndex } from "../../../shared/ann/ivfpq-index";
import { searchIvfPq } from "../../../shared/ann/ivfpq-search";
import { type ScanKernel } from "../../../shared/ann/kernel/scan-kernel";
import { SeededRandom } from "../../../shared/seeded-random";

/** Results per query whose recall is measured: the funnel's ANN quota is of this order (deeper requests keep the shortlist's margin beyond k, annShortlist). */
export const CALIBRATION_K = ANN_CALIBRATION_K;

export interface CalibrationOptions {
  /** Smallest mean recall@100 against brute force that the chosen knobs must reach. */
  targetRecall: number;
  /**
   * Shortlists tried at every nprobe, ascending (PQ candidates re-scored with
   * SQ8: ScaNN's reordering). 4-bit PQ scores are coarse, so recall can stop
   * growing with nprobe at a short list; a longer one costs a few µs of SQ8.
   */
  shortlists: number[];
  /** When no knobs reach the target: settle for the cheapest within this much of the best recall measured. */
  tolerance: number;
  /**
   * Most vectors a query may scan (nprobe × mean list size): the serving
   * cost's cap. Lists probed are KV shards a Worker reads and scans per
   * request, so on a big index recall is bought only up to this; small
   * indexes never reach it. Default 65,536.
   */
  maxScanned?: number;
}

export const DEFAULT_CALIBRATION: CalibrationOptions = { targetRecall: 0.99, shortlists: [300, 600, 1200, 2400], tolerance: 0.005, maxScanned: 65_536 };

/** The largest nprobe whose expected scan (nprobe lists of the mean size) stays within `maxScanned`; at least 1. */
export function maxNprobe(nlist: number, indexed: number, maxScanned: number): number {
  const meanList = indexed / Math.max(1, nlist);
  return Math.max(1, Math.min(nlist, Math.floor(maxScanned / Math.max(1, meanList))));
}

/** One point of the recall surface. */
export interface CalibrationStep {
  nprobe: number;
  shortlist: number;
  recallAt100: number;
}

/** nprobe values tried, in order: 1, 2, 3, 4, 6, 8, 12, 16, ... (powers of two and 1.5 times them), ending with nlist. */
export function nprobeSteps(nlist: number): number[] {
  const steps: number[] = [];
  for (let p = 1; p < nlist; p *= 2) {
    steps.push(p);
    if (p >= 2 && p + p / 2 < nlist) steps.push(p + p / 2);
  }
  steps.push(nlist);
  return steps;
}

/**
 * `count` rows of `rows` (size n*dims, row-major) drawn by a seeded sample,
 * skipping all-zero rows (users or items without interactions); size
 * found*dims. Fewer when there are not enough non-zero rows.
 */
export function sampleQueries(rows: Float32Array, dims: number, count: number, seed: number): Float32Array {
  const n = rows.length / dims;
  const out: Float32Array[] = [];
  for (const row of new SeededRandom(seed).sample(n, n)) {
    if (out.length >= count) break;
    const v = rows.subarray(row * dims, (row + 1) * dims);
    if (v.some((x) => x !== 0)) out.push(v);
  }
  const queries = new Float32Array(out.length * dims);
  out.forEach((v, i) => queries.set(v, i * dims));
  return queries;
}

/**
 * Picks the serving knobs of an index: mean recall@100 of the IVF-PQ search
 * against brute-force search of the indexed `vectors` (size n*dims, the
 * index's positions) over `queries` (size q*dims), for increasing nprobe
 * (`nprobeSteps`) and, at each, every shortlist of `options.shortlists`.
 * The smallest nprobe that reaches `targetRecall`, with its shortlist, is
 * chosen: lists probed are what a Worker reads from KV. When nothing
 * reaches it (coarse codes on near-duplicate vectors), the cheapest knobs
 * within `tolerance` of the best recall measured are chosen instead.
 * Stops at the first success.
 */
export function calibrateNprobe(
  kernel: ScanKernel,
  index: IvfPqIndex,
  vectors: Float32Array,
  queries: Float32Array,
  options: CalibrationOptions = DEFAULT_CALIBRATION,
): { calibration: AnnCalibration; curve: CalibrationStep[]; reached: boolean } {
  const { dims, metric, nlist } = index.params;
  const count = queries.length / dims;
  const query = (i: number) => queries.subarray(i * dims, (i + 1) * dims);
  // Every truth first: brute force pins the whole matrix, the search pins centroids and codebooks.
  const truths = Array.from({ length: count }, (_, i) => bruteForceSearch(kernel, metric, vectors, dims, query(i), CALIBRATION_K).ids);
  const source = (list: number) => index.lists[list] ?? null;
  const shortlists = [...new Set(options.shortlists.map((s) => Math.max(s, CALIBRATION_K)))].sort((a, b) => a - b);
  const curve: CalibrationStep[] = [];
  let reached: CalibrationStep | null = null;
  const indexed = index.lists.reduce((sum, list) => sum + list.ids.length, 0);
  const cap = maxNprobe(nlist, indexed, options.maxScanned ?? DEFAULT_CALIBRATION.maxScanned ?? Infinity);
  for (const nprobe of nprobeSteps(nlist).filter((p) => p <= cap)) {
    const sums = new Float64Array(shortlists.length);
    for (let i = 0; i < count; i++) {
      shortlists.forEach((shortlist, s) => {
        // A scan per shortlist, as served: 4-bit scores tie often, so a shorter list is not exactly a longer one's prefix.
        const found = searchIvfPq(kernel, index, source, query(i), { k: CALIBRATION_K, nprobe, shortlist });
        sums[s] = sums[s]! + recallAtK(found.ids, truths[i]!, CALIBRATION_K);
      });
    }
    const steps = shortlists.map((shortlist, s) => ({ nprobe, shortlist, recallAt100: count > 0 ? sums[s]! / count : 1 }));
    curve.push(...steps);
    reached = steps.find((step) => step.recallAt100 >= options.targetRecall) ?? null;
    if (reached) break;
  }
  const best = Math.max(...curve.map((step) => step.recallAt100));
  const chosen = reached ?? curve.find((step) => step.recallAt100 >= best - options.tolerance)!;
  return {
    calibration: {
      nprobe: chosen.nprobe,
      shortlist: chosen.shortlist,
      recallAt100: Math.floor(chosen.recallAt100 * 1e4) / 1e4,
      queries: count,
      targetRecall: options.targetRecall,
    },
    curve,
    reached: reached !== null,
  };
}
