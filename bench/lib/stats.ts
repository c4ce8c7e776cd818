/** Value at quantile q (0..1) of the samples, by nearest rank. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Runs `task(i)` for i in [0, count) with at most `concurrency` in flight,
 * stopping early (not starting new tasks) once `deadlineMs` has passed.
 * Resolves with how many tasks were started.
 */
export async function runBounded(count: number, concurrency: number, deadlineMs: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadlineMs) await task(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return next;
}
