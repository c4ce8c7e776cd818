import { plackettLuceMarginals, MAX_PLACKETT_LUCE_ITEMS } from "../../ranking/policy/softmax-exploration";
import { type ImpressionRecord } from "../exposure";
import { type LoggedSample } from "./estimators";

/** A candidate policy, judged position by position against the logged slates. */
export type CandidatePolicy =
  /** The re-ranker's epsilon-greedy exploration at another rate (same first slot). */
  | { kind: "epsilon"; rate: number }
  /** Softmax (Plackett–Luce) sampling over the logged top n at a temperature (shared/ranking/policy/softmax-exploration.ts). */
  | { kind: "softmax"; temperature: number; topN: number }
  /** A deterministic policy given as its list per logged impression id (another index version replayed offline). */
  | { kind: "lists"; label: string; lists: ReadonlyMap<string, readonly string[]> };

export function describePolicy(p: CandidatePolicy): string {
  if (p.kind === "epsilon") return `epsilon-greedy at rate ${p.rate}`;
  return p.kind === "softmax" ? `softmax (Plackett-Luce) over the top ${p.topN} at temperature ${p.temperature}` : p.label;
}

/**
 * Position-level samples for the estimators: one per (impression, position),
 * the reward a click on that item under that impression. This is the
 * independence assumption of OBP's slate "independent IPS" (IIPS): each
 * position is a decision of its own, with the logged per-position propensity.
 * The reward model for DR is the logged click rate of each position (one
 * number per position; Σ_a π(a|x) q̂(k) = q̂(k)).
 */
export function slateSamples(
  impressions: readonly ImpressionRecord[],
  clicked: ReadonlySet<string>,
  policy: CandidatePolicy,
): { samples: LoggedSample[]; skipped: number } {
  const positionClicks = new Map<number, { clicks: number; shown: number }>();
  for (const imp of impressions) {
    imp.itemIds.forEach((itemId, k) => {
      const s = positionClicks.get(k) ?? { clicks: 0, shown: 0 };
      s.shown++;
      if (clicked.has(clickKey(imp.impressionId, itemId))) s.clicks++;
      positionClicks.set(k, s);
    });
  }
  const qhat = (k: number) => {
    const s = positionClicks.get(k);
    return s && s.shown > 0 ? s.clicks / s.shown : 0;
  };
  const samples: LoggedSample[] = [];
  let skipped = 0;
  for (const imp of impressions) {
    const target = targetProbabilities(imp, policy);
    if (!target) {
      skipped++;
      continue;
    }
    imp.itemIds.forEach((itemId, k) => {
      const loggingProb = imp.propensities[k] ?? 1;
      if (!(loggingProb > 0)) return;
      samples.push({
        reward: clicked.has(clickKey(imp.impressionId, itemId)) ? 1 : 0,
        loggingProb,
        targetProb: target[k]!,
        modelReward: qhat(k),
        modelValue: qhat(k),
      });
    });
  }
  return { samples, skipped };
}

export const clickKey = (impressionId: string, itemId: string): string => `${impressionId}\u0000${itemId}`;

/**
 * Per position, the probability the candidate puts the logged item there;
 * null when the log lacks what that needs.
 *
 * Epsilon-greedy at logged rate ε with m options at a slot logs (1 − ε) + ε/m
 * for the greedy item and ε/m for an explored one; as ε < 1/2, p > 1 − ε
 * tells the two apart and gives m, and the candidate rate ε' then gives
 * (1 − ε') + ε'/m or ε'/m. Softmax: the exact Plackett–Luce marginal of the
 * logged item at its position among the logged top n (by logged score);
 * positions below n are left as logged (weight 1). A list: 1 where it puts
 * the logged item at the logged position, else 0.
 */
function targetProbabilities(imp: ImpressionRecord, policy: CandidatePolicy): number[] | null {
  const n = imp.itemIds.length;
  if (policy.kind === "lists") {
    const list = policy.lists.get(imp.impressionId);
    return list ? imp.itemIds.map((itemId, k) => (list[k] === itemId ? 1 : 0)) : null;
  }
  if (policy.kind === "epsilon") {
    const logged = imp.exploration;
    if (!logged || !(logged.rate > 0 && logged.rate < 0.5)) return null;
    const eps = logged.rate;
    return imp.itemIds.map((_, k) => {
      const p = imp.propensities[k] ?? 1;
      if ((imp.ranks[k] ?? k + 1) < logged.from || p >= 1) return 1;
      if (p > 1 - eps) {
        const m = eps / (p - 1 + eps);
        return 1 - policy.rate + policy.rate / m;
      }
      return policy.rate * (p / eps);
    });
  }
  const top = Math.min(policy.topN, n, MAX_PLACKETT_LUCE_ITEMS);
  const order = Array.from({ length: n }, (_, k) => k)
    .sort((a, b) => (imp.scores[b] ?? 0) - (imp.scores[a] ?? 0))
    .slice(0, top);
  const inTop = new Map(order.map((k, j) => [k, j]));
  const marginals = plackettLuceMarginals(
    order.map((k) => imp.scores[k] ?? 0),
    policy.temperature,
  );
  return imp.itemIds.map((_, k) => {
    if (k >= top) return imp.propensities[k] ?? 1;
    const j = inTop.get(k);
    return j === undefined ? 0 : marginals[j * top + k]!;
  });
}
