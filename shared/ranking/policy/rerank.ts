import { ownValue } from "../../data-record";
import { type Candidate, type ItemFacts } from "../candidate";
import { type Exploration, explorationOf } from "./exploration";
import { matches, type PolicyConfig } from "./policy-config";
import { samplePlackettLuce } from "./softmax-exploration";

/** One shown item after re-ranking. */
export interface Placed {
  candidate: Candidate;
  score: number;
  /** Probability that this policy shows this item in this slot (for IPS/SNIPS estimates). */
  propensity: number;
  explored: boolean;
  pinned: boolean;
  /** Softmax exploration: the scores of the window this item was drawn in (the same array on each of its items). */
  window?: number[];
}

/**
 * Policy re-ranking of scored candidates into a list of `limit`:
 * exclusions (which also beat pins), boosts/buries, freshness boost and frequency caps; then greedy
 * MMR (Carbonell & Goldstein 1998) with category-Jaccard similarity and an
 * optional per-category cap; then exploration (`exploration`, by default the
 * policy's epsilon-greedy from `explorationFrom` on), recording each slot's
 * propensity; pins last. `random` must be seeded per impression so a list
 * can be reproduced.
 */
export function rerank(
  candidates: readonly Candidate[],
  scores: ArrayLike<number>,
  facts: ReadonlyMap<string, ItemFacts>,
  impressions: Readonly<Record<string, number>>,
  policy: PolicyConfig,
  limit: number,
  random: () => number,
  exploration: Exploration = explorationOf(policy),
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
    if (policy.frequencyCap > 0 && (ownValue(impressions, candidate.itemId) ?? 0) >= policy.frequencyCap) return;
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
  if (exploration.policy === "softmax") softmaxExplore(placed, exploration, random);
  else explore(placed, open, exploration, random);

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
  const sorted = [...pool].sort((a, b) => b.score - a.score);
  const n = sorted.length;
  const relevance = Float64Array.from(sorted, (p) => (hi > lo ? (p.score - lo) / (hi - lo) : 1));
  // Categories as bit sets (one bit per distinct category in the pool), so a
  // similarity is a few integer operations.
  const { sets, words, sizes, bitOf } = categoryBitSets(sorted);
  const counts = new Map<string, number>();
  const full = new Uint32Array(words);
  const taken = new Uint8Array(n);
  // Lazy greedy: an item's similarity to the picks is brought up to date only
  // when the scan reaches it (`folded` picks are in `maxSim`), and the scan,
  // in descending relevance, stops once even a zero penalty could not beat
  // the best value so far. Same picks as updating every item after every
  // pick, at a fraction of the n x slots similarity work.
  const maxSim = new Float64Array(n);
  const folded = new Uint32Array(n);
  const picks: number[] = [];
  const out: Pooled[] = [];
  while (out.length < slots && out.length < n) {
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < n; i++) {
      if (taken[i] || (maxPerCategory > 0 && intersects(sets, i, full, words))) continue;
      if (lambda >= 0 && lambda * relevance[i]! <= bestValue) break;
      for (let k = folded[i]!; k < picks.length; k++) {
        const sim = bitJaccard(sets, i, picks[k]!, words, sizes);
        if (sim > maxSim[i]!) maxSim[i] = sim;
      }
      folded[i] = picks.length;
      const value = lambda * relevance[i]! - (1 - lambda) * maxSim[i]!;
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    if (best < 0) break;
    taken[best] = 1;
    picks.push(best);
    const picked = sorted[best]!;
    out.push(picked);
    if (maxPerCategory > 0) {
      picked.categories.forEach((c) => {
        const count = (counts.get(c) ?? 0) + 1;
        counts.set(c, count);
        const bit = bitOf.get(c)!;
        if (count >= maxPerCategory) full[bit >>> 5] = full[bit >>> 5]! | (1 << (bit & 31));
      });
    }
  }
  return out;
}

/** Per item, its categories as `words` 32-bit words of a bit set; and each item's category count. */
function categoryBitSets(items: readonly Pooled[]): { sets: Uint32Array; words: number; sizes: Uint16Array; bitOf: Map<string, number> } {
  const bitOf = new Map<string, number>();
  for (const p of items) for (const c of p.categories) if (!bitOf.has(c)) bitOf.set(c, bitOf.size);
  const words = Math.max(1, Math.ceil(bitOf.size / 32));
  const sets = new Uint32Array(items.length * words);
  const sizes = new Uint16Array(items.length);
  items.forEach((p, i) => {
    for (const c of p.categories) {
      const bit = bitOf.get(c)!;
      const at = i * words + (bit >>> 5);
      const mask = 1 << (bit & 31);
      if (!(sets[at]! & mask)) sizes[i]!++;
      sets[at] = sets[at]! | mask;
    }
  });
  return { sets, words, sizes, bitOf };
}

function intersects(sets: Uint32Array, i: number, mask: Uint32Array, words: number): boolean {
  for (let w = 0; w < words; w++) if (sets[i * words + w]! & mask[w]!) return true;
  return false;
}

/** |A ∩ B| / |A ∪ B| of items a's and b's category bit sets; 0 when both are empty. */
function bitJaccard(sets: Uint32Array, a: number, b: number, words: number, sizes: Uint16Array): number {
  let inter = 0;
  for (let w = 0; w < words; w++) inter += popcount(sets[a * words + w]! & sets[b * words + w]!);
  const union = sizes[a]! + sizes[b]! - inter;
  return union === 0 ? 0 : inter / union;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * Epsilon-greedy: at each eligible slot, with probability epsilon the item is
 * drawn uniformly from the m candidates not placed above it (the greedy item
 * included), else the greedy item stays. Propensities: greedy item
 * (1 - epsilon) + epsilon/m, any other epsilon/m.
 */
function explore(placed: Placed[], pool: Pooled[], exploration: Exploration & { policy: "epsilon" }, random: () => number): void {
  const epsilon = exploration.rate;
  if (epsilon <= 0) return;
  // An option at a slot is a pool item neither placed above it (used) nor still placed below it,
  // so no item shows twice; `blocked` holds both sets and is kept up to date slot by slot.
  const blocked = new Set(placed.map((p) => p.candidate.itemId));
  let blockedInPool = 0;
  for (const p of pool) if (blocked.has(p.candidate.itemId)) blockedInPool++;
  for (let slot = 0; slot < placed.length; slot++) {
    const greedy = placed[slot]!;
    if (slot + 1 < exploration.from) continue;
    const greedyId = greedy.candidate.itemId;
    // The greedy item is itself an option (it is in the pool: placed items come from it).
    blocked.delete(greedyId);
    blockedInPool--;
    const m = pool.length - blockedInPool;
    if (random() < epsilon && m > 1) {
      const pick = nthOption(pool, blocked, Math.floor(random() * m));
      const isGreedy = pick.candidate.itemId === greedyId;
      placed[slot] = {
        candidate: pick.candidate,
        score: pick.score,
        propensity: isGreedy ? 1 - epsilon + epsilon / m : epsilon / m,
        explored: !isGreedy,
        pinned: false,
      };
    } else {
      greedy.propensity = 1 - epsilon + epsilon / Math.max(1, m);
    }
    blocked.add(placed[slot]!.candidate.itemId);
    blockedInPool++;
  }
}

/**
 * Softmax exploration: the greedy items of slots from .. from+topN-1 are
 * reordered by one Plackett–Luce draw at the temperature over their scores
 * rounded as the list logs them (so the log alone recomputes the marginals);
 * each gets its exact marginal probability of the slot it lands in.
 */
function softmaxExplore(placed: Placed[], exploration: Exploration & { policy: "softmax" }, random: () => number): void {
  const start = exploration.from - 1;
  const window = placed.slice(start, start + exploration.topN);
  if (window.length === 0) return;
  const scores = window.map((p) => roundScore(p.score));
  const { order, propensities } = samplePlackettLuce(scores, exploration.temperature, random);
  order.forEach((j, k) => {
    placed[start + k] = { ...window[j]!, propensity: propensities[k]!, explored: j !== k, window: scores };
  });
}

/** A score as lists and logs carry it: rounded to 1e-6. */
export const roundScore = (score: number): number => Math.round(score * 1e6) / 1e6;

/** The n-th pool item (in pool order) that is not blocked. */
function nthOption(pool: readonly Pooled[], blocked: ReadonlySet<string>, n: number): Pooled {
  let seen = 0;
  for (const p of pool) {
    if (blocked.has(p.candidate.itemId)) continue;
    if (seen++ === n) return p;
  }
  throw new Error("nthOption: fewer options than counted");
}
