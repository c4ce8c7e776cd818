import { fnv1a32 } from "../../fnv1a";
import { SeededRandom } from "../../seeded-random";
import { MAX_PLACKETT_LUCE_ITEMS } from "./softmax-exploration";
import { type PolicyConfig } from "./policy-config";

/**
 * The exploration policy of the re-ranker, from the 1-based slot `from` on:
 * - epsilon: epsilon-greedy, at each slot with probability `rate` an item
 *   drawn uniformly from the candidates not placed elsewhere;
 * - softmax: the greedy items of slots from .. from+topN-1 reordered by a
 *   Plackett–Luce (softmax without replacement) draw at `temperature`, in
 *   the units of the policy's scores (scores as logged, rounded to 1e-6).
 * Each shown item's propensity is the exact probability the policy put it
 * in its slot (shared/ranking/policy/rerank.ts).
 */
export type Exploration = { policy: "epsilon"; rate: number; from: number } | { policy: "softmax"; temperature: number; topN: number; from: number };

/** What a list records of the exploration it ran: softmax adds its window's scores, which exact marginals at another temperature need offline. */
export type AppliedExploration = Exploration & { window?: number[] };

/** The surface policy's own exploration: epsilon-greedy at its explorationRate from explorationFrom. */
export function explorationOf(policy: Pick<PolicyConfig, "explorationRate" | "explorationFrom">): Exploration {
  return { policy: "epsilon", rate: policy.explorationRate, from: policy.explorationFrom };
}

/** No exploration: the greedy list, every propensity 1 (offline evaluation and replays of a deterministic candidate). */
export const NO_EXPLORATION: Exploration = { policy: "epsilon", rate: 0, from: 1 };

/** Whether this exploration ever moves an item (an epsilon of 0, a one-item window: never). */
export function explores(e: Exploration): boolean {
  return e.policy === "epsilon" ? e.rate > 0 : e.topN > 1;
}

/** Most slots a softmax window spans: its exact marginals cost topN·2^topN steps per list. */
export const MAX_SOFTMAX_TOP_N = MAX_PLACKETT_LUCE_ITEMS;

/** Validates an exploration knob (admin input); returns the problem or null. */
export function explorationProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return 'exploration must be an object: {"policy": "epsilon"|"softmax", ...}';
  const e = value as Record<string, unknown>;
  const fields: Record<string, Record<string, [number, number, boolean]>> = {
    // [min, max, integer]
    epsilon: { rate: [0, 1, false], from: [1, 100, true] },
    softmax: { temperature: [1e-3, 1e3, false], topN: [2, MAX_SOFTMAX_TOP_N, true], from: [1, 100, true] },
  };
  // Own keys only: every object inherits `constructor`, which is neither a policy nor a field.
  if (typeof e.policy !== "string" || !Object.hasOwn(fields, e.policy)) return 'exploration.policy must be "epsilon" or "softmax"';
  const known = fields[e.policy]!;
  for (const key of Object.keys(e)) if (key !== "policy" && !Object.hasOwn(known, key)) return `unknown exploration field "${key}" for ${e.policy}`;
  for (const [key, [min, max, integer]] of Object.entries(known)) {
    const v = e[key];
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
      return `exploration.${key} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}`;
  }
  return null;
}

/**
 * The exploration draws of one list: seeded by user, surface, index version
 * and session version, so a list is the same on every isolate until the
 * session changes, and an offline replay draws the same coins.
 */
export function explorationRandom(userId: string, surface: string, indexVersion: string, sessionVersion: number): () => number {
  const rng = new SeededRandom(fnv1a32(`${userId}|${surface}|${indexVersion}|${sessionVersion}`));
  return () => rng.next();
}
