import { type AppliedExploration } from "../../ranking/policy/exploration";
import { plackettLuceMarginals, MAX_PLACKETT_LUCE_ITEMS } from "../../ranking/policy/softmax-exploration";
import { type ImpressionRecord } from "../exposure";
import { type LoggedSample } from "./estimators";

/** A candidate policy, judged position by position against the logged slates. */
export type CandidatePolicy =
  /** The re-ranker's epsilon-greedy exploration at another rate (same first slot). */
  | { kind: "epsilon"; rate: number }
  /** Softmax (Plackett–Luce) reordering of list slots from .. from+topN−1 (default from 1) at a temperature, as the re-ranker's softmax exploration. */
  | { kind: "softmax"; temperature: number; topN: number; from?: number }
  /** A deterministic policy given as its list per logged impression id (another index version replayed offline). */
  | { kind: "lists"; label: string; lists: ReadonlyMap<string, readonly string[]> };

export function describePolicy(p: CandidatePolicy): string {
  if (p.kind === "epsilon") return `epsilon-greedy at rate ${p.rate}`;
  return p.kind === "softmax" ? `softmax (Plackett-Luce) over slots ${p.from ?? 1}-${(p.from ?? 1) + p.topN - 1} at temperature ${p.temperature}` : p.label;
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

/** The logged exploration as the funnel ran it; entries from before the policy was recorded hold {rate, from}: epsilon-greedy. */
export function loggedExploration(imp: Pick<ImpressionRecord, "exploration">): AppliedExploration | null {
  const e = imp.exploration;
  if (!e) return null;
  return "policy" in e ? e : { policy: "epsilon", rate: e.rate, from: e.from };
}

/** The 0-based position in the decided list of the logged item at page index k (its rank, in entries written before positions were). */
const slotOf = (imp: ImpressionRecord, k: number): number => imp.decision?.positions[k] ?? (imp.ranks[k] ?? k + 1) - 1;

/**
 * Per position, the probability the candidate puts the logged item there;
 * null when the log lacks what that needs.
 *
 * Epsilon-greedy at logged rate ε with m options at a slot logs (1 − ε) + ε/m
 * for the greedy item and ε/m for an explored one; as ε < 1/2, p > 1 − ε
 * tells the two apart and gives m, and the candidate rate ε' then gives
 * (1 − ε') + ε'/m or ε'/m. Softmax over list slots from .. from+n−1: the
 * exact Plackett–Luce marginal of the logged item's score at its slot among
 * the window's scores, which a softmax log of the same window records whole
 * (equal scores have equal marginals, so the score names the item) and which
 * an epsilon log gives when its page shows the whole window; slots outside
 * the window are left as logged (weight 1). A list: 1 where it puts the
 * logged item at the logged list position, else 0.
 */
function targetProbabilities(imp: ImpressionRecord, policy: CandidatePolicy): number[] | null {
  if (policy.kind === "lists") {
    const list = policy.lists.get(imp.impressionId);
    return list ? imp.itemIds.map((itemId, k) => (list[slotOf(imp, k)] === itemId ? 1 : 0)) : null;
  }
  const logged = loggedExploration(imp);
  if (policy.kind === "epsilon") {
    // The greedy item and m are read off epsilon-greedy propensities only.
    if (!logged || logged.policy !== "epsilon" || !(logged.rate > 0 && logged.rate < 0.5)) return null;
    const eps = logged.rate;
    return imp.itemIds.map((_, k) => {
      const p = imp.propensities[k] ?? 1;
      if (slotOf(imp, k) + 1 < logged.from || p >= 1) return 1;
      if (p > 1 - eps) {
        const m = eps / (p - 1 + eps);
        return 1 - policy.rate + policy.rate / m;
      }
      return policy.rate * (p / eps);
    });
  }
  const from = policy.from ?? 1;
  const top = Math.min(policy.topN, MAX_PLACKETT_LUCE_ITEMS);
  const start = from - 1;
  const inWindow = (slot: number) => slot >= start && slot < start + top;
  let window: number[] | null = null;
  if (logged?.policy === "softmax" && logged.from === from && logged.topN === top && logged.window) window = logged.window;
  else {
    // Otherwise the page must show the whole window.
    const bySlot = new Map(imp.itemIds.map((_, k) => [slotOf(imp, k), imp.scores[k] ?? 0]));
    const slots = Array.from({ length: top }, (_, j) => start + j);
    if (slots.every((slot) => bySlot.has(slot))) window = slots.map((slot) => bySlot.get(slot)!);
  }
  if (!window && imp.itemIds.some((_, k) => inWindow(slotOf(imp, k)))) return null;
  const marginals = window ? plackettLuceMarginals(window, policy.temperature) : null;
  const n = window?.length ?? 0;
  return imp.itemIds.map((_, k) => {
    const slot = slotOf(imp, k);
    if (!inWindow(slot) || !window || slot - start >= n) return imp.propensities[k] ?? 1;
    const j = window.indexOf(imp.scores[k] ?? NaN);
    return j < 0 ? 0 : marginals![j * n + (slot - start)]!;
  });
}
