/** A unit's place in one experiment, as an exposure records it. */
export interface ExposureAssignment {
  experimentId: string;
  variant: string;
  /** The region whose allocation applied: the user's region at first exposure. */
  region: string;
}

/**
 * What was decided for one showing, logged when the list is decided (not on
 * click): one entry of the impression log (`impressions:stream`), which the
 * report's attribution and off-policy evaluation read.
 */
export interface ImpressionRecord {
  impressionId: string;
  userId: string;
  /** The variant label of the cache key ("default", "holdout", "exp=variant+..."). */
  variant: string;
  region: string;
  surface: string;
  /** The item being watched or viewed (up_next, related), for replaying the context offline. */
  contextItemId: string | null;
  indexVersion: string;
  /** The slate: ids, 1-based positions, scores, and per item the probability the policy showed it there (for IPS/SNIPS/DR). */
  itemIds: string[];
  ranks: number[];
  scores: number[];
  propensities: number[];
  /** Which scores ordered the list (the heavy ranker is not ready on a fresh isolate): what an offline replay must use too. */
  ranker?: string;
  /** The exploration the policy ran with (epsilon-greedy rate and first slot), for off-policy estimates of another rate. */
  exploration: { rate: number; from: number } | null;
  experiments: ExposureAssignment[];
  /** Guardrails: the request's server time and whether any stage degraded. */
  serverMs: number;
  degraded: boolean;
  /** When it was shown (stamped when queued; the log writer adds it if absent). */
  timestampMs?: number;
}
