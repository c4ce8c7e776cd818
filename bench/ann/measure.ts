import { recallAtK } from "../../shared/ann/brute-force";

/** One row of bench/results/ann.json: one system at one setting on one data set. */
export interface AnnResult {
  system: string;
  dataset: string;
  n: number;
  dims: number;
  nprobe: number | null;
  recall_at_10: number;
  recall_at_100: number;
  qps: number;
  p50_ms: number;
  p99_ms: number;
  bytes_per_vector: number;
  build_s: number;
  /** Anything else that identifies the setting (nlist, m, shortlist, ef, ...). */
  [extra: string]: unknown;
}

/**
 * Runs every query once, one at a time on this thread, after a warm-up pass
 * over the first 50: recall against `truth` (size q*100, best first), the
 * latency percentiles, and queries per second over the whole timed pass.
 */
export function measureQueries(
  queryCount: number,
  truth: Uint32Array,
  search: (query: number) => ArrayLike<number>,
): Pick<AnnResult, "recall_at_10" | "recall_at_100" | "qps" | "p50_ms" | "p99_ms"> {
  for (let i = 0; i < Math.min(50, queryCount); i++) search(i);
  const latencies = new Float64Array(queryCount);
  let r10 = 0;
  let r100 = 0;
  for (let i = 0; i < queryCount; i++) {
    const started = performance.now();
    const found = search(i);
    latencies[i] = performance.now() - started;
    const t = truth.subarray(i * 100, (i + 1) * 100);
    r10 += recallAtK(found, t, 10);
    r100 += recallAtK(found, t, 100);
  }
  const total = latencies.reduce((a, b) => a + b, 0);
  latencies.sort();
  return {
    recall_at_10: r10 / queryCount,
    recall_at_100: r100 / queryCount,
    qps: queryCount / (total / 1000),
    p50_ms: percentile(latencies, 0.5),
    p99_ms: percentile(latencies, 0.99),
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** Median milliseconds of `runs` calls of `work`. */
export function medianMs(runs: number, work: () => void): number {
  const times = new Float64Array(runs);
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    times[i] = performance.now() - started;
  }
  times.sort();
  return percentile(times, 0.5);
}
