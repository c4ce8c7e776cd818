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
    return await Promise.race([
      work().then((value): Budgeted<T> => ({ ok: true, value })),
      timeout,
    ]);
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", message: "funnel stage failed", stage, error: String(err) }));
    return { ok: false, degraded: `${stage}_error` };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
