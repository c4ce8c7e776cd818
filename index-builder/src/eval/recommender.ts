import { type InteractionTable } from "../train/interaction-table";

/**
 * The seam every evaluated model plugs into: fit on training rows, then score
 * every item for a user. The harness removes the user's training items and
 * takes the top k, so models need not do either.
 */
export interface Recommender {
  /** Row label in the reports, e.g. "sar" or "ials-128". */
  readonly name: string;
  /** Hyper-parameters as they should appear in the report. */
  readonly params: Record<string, number | string | boolean>;
  /** Why this model cannot run on `train` (too large for it), or null; the harness then reports it as skipped instead of fitting. */
  skipReason?(train: InteractionTable): string | null;
  /** May resolve later: the harness awaits it (the funnel row fits asynchronously). */
  fit(train: InteractionTable): void | Promise<void>;
  /** Work that must finish before `scoreUser` for these users (an asynchronous model lists them here). */
  prepare?(users: readonly number[]): Promise<void>;
  /** Writes a score for every dense item index into `out` (size nItems); higher is better. */
  scoreUser(user: number, out: Float64Array): void;
  /** Figures measured while scoring (e.g. the funnel's retrieval recall), for the report. */
  stats?(): Record<string, number>;
}
