import { type Candidate, type ItemFacts } from "../candidate";
import { matches, type PolicyConfig } from "./policy-config";

/** One shown item after re-ranking. */
export interface Placed {
  candidate: Candidate;
  score: number;
  /** Probability that this policy shows this item in this slot (for IPS/SNIPS estimates). */
  propensity: number;
  explored: boolean;
  pinned: boolean;
}

/**
 * Policy re-ranking of scored candidates into a list of `limit`:
 * exclusions (which also beat pins), boosts/buries, freshness boost and frequency caps; then greedy
 * MMR (Carbonell & Goldstein 1998) with category-Jaccard similarity and an
 * optional per-category cap; then epsilon-greedy exploration from
 * `explorationFrom` on, recording each slot's propensity; pins last.
 * `random` must be seeded per impression so a list can be reproduced.
 */
export function rerank(
  candidates: readonly Candidate[],
  scores: ArrayLike<number>,
  facts: ReadonlyMap<string, ItemFacts>,
  impressions: Readonly<Record<string, number>>,
  policy: PolicyConfig,
  limit: number,
  random: () => number,
): Placed[] {
  const pool: { candidate: Candidate; score: number; categories: string[] }[] = [];
  const excluded = new Set<string>();
  candidates.forEach((candidate, i) => {
    const f = facts.get(candidate.itemId);
    const categories = f?.categories ?? [];
    const year = f?.year ?? null;
    let score = scores[i] ?? 0;
    for (const rule of policy.rules) {
      if (rule.kind === "pin") continue;
      if (!matches(rule.match, candidate.itemId, categories, year)) continue;
      if (rule.kind === "exclude") {
        excluded.add(candidate.itemId);
        return;
      }
      score += rule.kind === "boost" ? rule.by : -rule.by;
    }
    if (policy.frequencyCap > 0 && (impressions[candidate.itemId] ?? 0) >= policy.frequencyCap) return;
    if (f?.fresh) score += policy.freshBoost;
    pool.push({ candidate, score, categories });
  });
  // An exclusion (say, a legal restriction) wins over a pin.
  const pinned = policy.rules.flatMap((r) => (r.kind === "pin" && !excluded.has(r.itemId) ? [r] : []));
  const pinnedIds = new Set(pinned.map((p) => p.itemId));
  const open = pool.filter((p) => !pinnedIds.has(p.candidate.itemId));
  const slots = Math.max(0, limit - pinned.filter((p) => p.position <= limit).length);

  const chosen = mmrOrder(open, slots, policy.mmrLambda, policy.maxPerCategory);
  const placed: Placed[] = chosen.map((p) => ({ candidate: p.candidate, score: p.score, propensity: 1, explored: false, pinned: false }));
  explore(placed, open, policy, random);

  for (const pin of [...pinned].sort((a, b) => a.position - b.position)) {
    const entry = pool.find((p) => p.candidate.itemId === pin.itemId);
    const candidate = entry?.candidate ?? { itemId: pin.itemId, sources: {} };
    const at = Math.min(pin.position - 1, placed.length);
    if (at < limit) placed.splice(at, 0, { candidate, score: entry?.score ?? 0, propensity: 1, explored: false, pinned: true });
  }
  return placed.slice(0, limit);
}

type Pooled = { candidate: Candidate; score: number; categories: string[] };

function mmrOrder(pool: Pooled[], slots: number, lambda: number, maxPerCategory: number): Pooled[] {
  if (pool.length === 0 || slots === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of pool) {
    lo = Math.min(lo, p.score);
    hi = Math.max(hi, p.score);
  }
  const relevance = (p: Pooled) => (hi > lo ? (p.score - lo) / (hi - lo) : 1);
  const remaining = [...pool].sort((a, b) => b.score - a.score);
  const out: Pooled[] = [];
  const perCategory = new Map<string, number>();
  const maxSim = new Float64Array(remaining.length);
  while (out.length < slots && remaining.length > 0) {
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < remaining.length; i++) {
      const p = remaining[i]!;
      if (maxPerCategory > 0 && p.categories.some((c) => (perCategory.get(c) ?? 0) >= maxPerCategory)) continue;
      const value = lambda * relevance(p) - (1 - lambda) * maxSim[i]!;
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    if (best < 0) break;
    const [picked] = remaining.splice(best, 1);
    maxSim.copyWithin(best, best + 1);
    out.push(picked!);
    for (const c of picked!.categories) perCategory.set(c, (perCategory.get(c) ?? 0) + 1);
    for (let i = 0; i < remaining.length; i++) maxSim[i] = Math.max(maxSim[i]!, jaccard(remaining[i]!.categories, picked!.categories));
  }
  return out;
}

/**
 * Epsilon-greedy: at each eligible slot, with probability epsilon the item is
 * drawn uniformly from the m candidates not placed above it (the greedy item
 * included), else the greedy item stays. Propensities: greedy item
 * (1 - epsilon) + epsilon/m, any other epsilon/m.
 */
function explore(placed: Placed[], pool: Pooled[], policy: PolicyConfig, random: () => number): void {
  const epsilon = policy.explorationRate;
  if (epsilon <= 0) return;
  const used = new Set<string>();
  for (let slot = 0; slot < placed.length; slot++) {
    const greedy = placed[slot]!;
    if (slot + 1 < policy.explorationFrom) {
      used.add(greedy.candidate.itemId);
      continue;
    }
    // Items placed above or below this slot are not options, so no item shows twice.
    const below = new Set(placed.slice(slot + 1).map((q) => q.candidate.itemId));
    const options = pool.filter((p) => p.candidate.itemId === greedy.candidate.itemId || (!used.has(p.candidate.itemId) && !below.has(p.candidate.itemId)));
    const m = Math.max(1, options.length);
    if (random() < epsilon && options.length > 1) {
      const pick = options[Math.floor(random() * options.length)]!;
      const isGreedy = pick.candidate.itemId === greedy.candidate.itemId;
      placed[slot] = {
        candidate: pick.candidate,
        score: pick.score,
        propensity: isGreedy ? 1 - epsilon + epsilon / m : epsilon / m,
        explored: !isGreedy,
        pinned: false,
      };
    } else {
      greedy.propensity = 1 - epsilon + epsilon / m;
    }
    used.add(placed[slot]!.candidate.itemId);
  }
}

/** |A ∩ B| / |A ∪ B| of two category lists; 0 when both are empty. */
export function jaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 0;
  let inter = 0;
  for (const x of a) if (b.includes(x)) inter++;
  return inter / (a.length + b.length - inter);
}
