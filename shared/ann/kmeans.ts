import { type ScanKernel } from "./kernel/scan-kernel";
import { type Metric } from "./metric";
import { gatherRows, SeededRandom } from "../seeded-random";

export interface KMeansOptions {
  /** How rows are assigned to centroids in the Lloyd iterations (seeding is always by L2 distance). */
  metric?: Metric;
  /** Number of centroids. */
  k: number;
  /** Lloyd iterations after the k-means++ seeding. */
  iterations: number;
  seed: number;
  /** Training rows at most (a seeded sample of the input when it has more), as faiss's max_points_per_centroid * k. */
  maxTrainingRows: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Seeded k-means: k-means++ seeding (Arthur and Vassilvitskii, 2007)
 * and Lloyd iterations (assigning by L2, or by inner product as faiss
 * does for an inner-product index) on a sample of the rows (size n*dims, row-major).
 * Returns the centroids, size k*dims, row-major. With fewer rows than k, the
 * surplus centroids repeat rows, so every centroid is a real point.
 */
export function trainKMeans(kernel: ScanKernel, rows: Float32Array, dims: number, options: KMeansOptions): Float32Array {
  const random = new SeededRandom(options.seed);
  const n = rows.length / dims;
  const sample = n > options.maxTrainingRows ? gatherRows(rows, dims, random.sample(n, options.maxTrainingRows)) : rows;
  const centroids = seedPlusPlus(kernel, sample, dims, options.k, random);
  const count = sample.length / dims;
  const assigned = new Uint32Array(count);
  const scores = new Float32Array(count);
  for (let it = 0; it < options.iterations; it++) {
    kernel.assign(options.metric ?? "l2", sample, dims, centroids, assigned, scores);
    recomputeMeans(sample, dims, assigned, scores, centroids, options.k);
    options.onProgress?.(it + 1, options.iterations);
  }
  return centroids;
}

/** k-means++ seeding: k rows of `sample` (size n*dims), each drawn with probability proportional to its squared distance to the nearest already drawn. */
export function seedPlusPlus(kernel: ScanKernel, sample: Float32Array, dims: number, k: number, random: SeededRandom): Float32Array {
  const count = sample.length / dims;
  const centroids = new Float32Array(k * dims);
  const nearest = new Float64Array(count).fill(Infinity);
  const scores = new Float32Array(count);
  kernel.pin(sample);
  let pick = random.int(count);
  for (let c = 0; c < k; c++) {
    const centroid = sample.subarray(pick * dims, (pick + 1) * dims);
    centroids.set(centroid, c * dims);
    if (c === k - 1) break;
    kernel.scoreRows("l2", sample, dims, centroid, scores);
    let total = 0;
    for (let i = 0; i < count; i++) {
      nearest[i] = Math.min(nearest[i]!, -scores[i]!);
      total += nearest[i]!;
    }
    pick = total > 0 ? drawProportional(nearest, total, random) : random.int(count);
  }
  return centroids;
}

function drawProportional(weights: Float64Array, total: number, random: SeededRandom): number {
  let target = random.next() * total;
  for (let i = 0; i < weights.length; i++) {
    target -= weights[i]!;
    if (target < 0) return i;
  }
  return weights.length - 1;
}

/**
 * Lloyd's update. An emptied centroid moves to the worst-served row, the
 * usual repair: it splits the cluster that row is in, and keeps k useful.
 */
export function recomputeMeans(sample: Float32Array, dims: number, assigned: Uint32Array, scores: Float32Array, centroids: Float32Array, k: number): void {
  const sums = new Float64Array(k * dims);
  const sizes = new Uint32Array(k);
  const count = assigned.length;
  for (let i = 0; i < count; i++) {
    const c = assigned[i]!;
    sizes[c]!++;
    for (let d = 0; d < dims; d++) sums[c * dims + d]! += sample[i * dims + d]!;
  }
  const error = Float32Array.from(scores, (s) => -s);
  for (let c = 0; c < k; c++) {
    if (sizes[c]! > 0) {
      for (let d = 0; d < dims; d++) centroids[c * dims + d] = sums[c * dims + d]! / sizes[c]!;
      continue;
    }
    let worst = 0;
    for (let i = 1; i < count; i++) if (error[i]! > error[worst]!) worst = i;
    centroids.set(sample.subarray(worst * dims, (worst + 1) * dims), c * dims);
    error[worst] = -1;
  }
}
