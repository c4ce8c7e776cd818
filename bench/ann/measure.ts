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
  /** CPU per query (process time over a pass): in workerd the only figure, its clock being frozen during computation. */
  cpu_ms_per_query?: number;
  bytes_per_vector: number;
  build_s: number;
  /** Anything else that identifies the setting (nlist, m, shortlist, ef, ...). */
  [extra: string]: unknown;
}

type PassStats = Pick<AnnResult, "recall_at_10" | "recall_at_100" | "qps" | "p50_ms" | "p99_ms"> & { cpu_ms_per_query: number };

/**
 * A warm-up pass over every query (JIT, caches), then `repeats` timed passes of
 * every query, one at a time on this thread: recall against `truth` (size
 * q*100, best first), and of the passes' QPS, latency percentiles and CPU
 * per query (process.cpuUsage: what other work on the machine does not
 * inflate) the median pass's values, each taken separately.
 */
export function measureQueries(queryCount: number, truth: Uint32Array, search: (query: number) => ArrayLike<number>, repeats = 1): PassStats {
  for (let i = 0; i < queryCount; i++) search(i);
  const passes = Array.from({ length: repeats }, () => timedPass(queryCount, truth, search));
  const median = (key: keyof PassStats) => {
    const values = Float64Array.from(passes, (p) => p[key]).sort();
    return values[(values.length - 1) >> 1]!;
  };
  return {
    recall_at_10: passes[0]!.recall_at_10,
    recall_at_100: passes[0]!.recall_at_100,
    qps: median("qps"),
    p50_ms: median("p50_ms"),
    p99_ms: median("p99_ms"),
    cpu_ms_per_query: median("cpu_ms_per_query"),
  };
}

function timedPass(queryCount: number, truth: Uint32Array, search: (query: number) => ArrayLike<number>): PassStats {
  const latencies = new Float64Array(queryCount);
  let r10 = 0;
  let r100 = 0;
  const cpu = process.cpuUsage();
  for (let i = 0; i < queryCount; i++) {
    const started = performance.now();
    const found = search(i);
    latencies[i] = performance.now() - started;
    const t = truth.subarray(i * 100, (i + 1) * 100);
    r10 += recallAtK(found, t, 10);
    r100 += recallAtK(found, t, 100);
  }
  const used = process.cpuUsage(cpu);
  const total = latencies.reduce((a, b) => a + b, 0);
  latencies.sort();
  return {
    recall_at_10: r10 / queryCount,
    recall_at_100: r100 / queryCount,
    qps: queryCount / (total / 1000),
    p50_ms: percentile(latencies, 0.5),
    p99_ms: percentile(latencies, 0.99),
    cpu_ms_per_query: (used.user + used.system) / 1000 / queryCount,
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
