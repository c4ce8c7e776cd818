import { type AppliedExploration } from "../ranking/policy/exploration";
import { type ListDecisionInputs } from "../ranking/ranked-list";

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
  /**
   * The exploration the list was decided with, as the funnel ran it, for off-policy estimates of another
   * policy; entries written before the policy was recorded hold {rate, from}: epsilon-greedy.
   */
  exploration: AppliedExploration | { rate: number; from: number } | null;
  /** How the list was decided, for an exact offline replay (absent in entries written before it was recorded). */
  decision?: ListDecision;
  experiments: ExposureAssignment[];
  /** Guardrails: the request's server time and whether any stage degraded. */
  serverMs: number;
  degraded: boolean;
  /** When it was shown (stamped when queued; the log writer adds it if absent). */
  timestampMs?: number;
}

/**
 * What an offline replay needs to decide a logged list again, exactly, from
 * the index version and the event log: the session is the user's logged
 * events up to `sessionVersion` (each event records the version it first
 * counted in) with the impressions logged before `atMs`; the exploration
 * draws are seeded by user, surface, version and session version.
 */
export interface ListDecision extends Omit<ListDecisionInputs, "exploration"> {
  sessionVersion: number;
  /** Entries ranked; pages are cut from them. */
  listSize: number;
  /** Per shown item, its 0-based position in the decided list (a page skips items withdrawn since the list was made). */
  positions: number[];
  /** The showing came from a list decided earlier (a cache hit, a later page). */
  cached: boolean;
  category: string | null;
}

/** A showing's decision record from its list's decision inputs. */
export function listDecision(
  inputs: ListDecisionInputs,
  sessionVersion: number,
  showing: Pick<ListDecision, "listSize" | "positions" | "cached" | "category">,
): ListDecision {
  const { exploration: _logged, ...rest } = inputs;
  return { ...rest, sessionVersion, ...showing };
}
