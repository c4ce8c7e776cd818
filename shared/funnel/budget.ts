/** The outcome of a stage run under a time budget: its value, or why it was skipped. */
export type Budgeted<T> = { ok: true; value: T } | { ok: false; degraded: string };

/**
 * Runs a stage with a wall-clock budget. Past the budget, or on error, the
 * caller gets a named degradation instead of the value and goes on without
 * it. (In workerd the clock moves only across I/O, so budgets bound waiting
 * on KV, D1, Redis and the like, not pure computation.)
 */
export async function withBudget<T>(stage: string, budgetMs: number, work: () => Promise<T>): Promise<Budgeted<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Budgeted<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, degraded: `${stage}_timeout` }), budgetMs);
  });
  try {
    return await Promise.race([work().then((value): Budgeted<T> => ({ ok: true, value })), timeout]);
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", message: "funnel stage failed", stage, error: String(err) }));
    return { ok: false, degraded: `${stage}_error` };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/**
 * `withBudget` for a read that reports its own partial faults (`degraded`):
 * the budget's failure or the read's faults all land in `degraded`; the
 * value, or null when the read did not finish.
 */
export async function budgetedRead<T extends { degraded: string[] }>(
  stage: string,
  budgetMs: number,
  degraded: string[],
  work: () => Promise<T>,
): Promise<T | null> {
  const read = await withBudget(stage, budgetMs, work);
  if (!read.ok) {
    degraded.push(read.degraded);
    return null;
  }
  degraded.push(...read.value.degraded);
  return read.value;
}
