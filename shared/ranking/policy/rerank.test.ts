import { describe, expect, it } from "vitest";
import { type Candidate, type ItemFacts } from "../candidate";
import { DEFAULT_POLICY, type PolicyConfig } from "./policy-config";
import { rerank } from "./rerank";

/** |A ∩ B| / |A ∪ B| of two category lists; 0 when both are empty: the plain definition rerank's bit sets must agree with. */
function jaccard(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 0;
  let inter = 0;
  for (const x of a) if (b.includes(x)) inter++;
  return inter / (a.length + b.length - inter);
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CATS = ["A", "B", "C", "D"];

function world(n: number, seed: number) {
  const rand = rng(seed);
  const candidates: Candidate[] = Array.from({ length: n }, (_, i) => ({ itemId: `i${i}`, sources: { ann: rand() } }));
  const facts = new Map<string, ItemFacts>(
    candidates.map((c, i) => [
      c.itemId,
      {
        itemId: c.itemId,
        title: c.itemId,
        // Skewed: most high scorers are in A, so relevance alone gives a one-category list.
        categories: i < n / 2 ? ["A"] : [CATS[Math.floor(rand() * 4)]!, CATS[Math.floor(rand() * 4)]!].filter((x, k, a) => a.indexOf(x) === k),
        year: 1980 + (i % 40),
        popularity: 1,
        available: true,
        fresh: i % 10 === 0,
      },
    ]),
  );
  const scores = candidates.map((_, i) => (i < n / 2 ? 10 - i / n : 5 - i / n));
  return { candidates, facts, scores };
}

const noExplore: PolicyConfig = { ...DEFAULT_POLICY, explorationRate: 0, freshBoost: 0, frequencyCap: 0 };

function diversity(ids: string[], facts: Map<string, ItemFacts>): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < ids.length; i++)
    for (let j = i + 1; j < ids.length; j++) {
      sum += 1 - jaccard(facts.get(ids[i]!)!.categories, facts.get(ids[j]!)!.categories);
      pairs++;
    }
  return sum / pairs;
}

describe("rerank", () => {
  it("MMR raises intra-list diversity as lambda falls", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { candidates, facts, scores } = world(100, seed);
      const ids = (lambda: number) => rerank(candidates, scores, facts, {}, { ...noExplore, mmrLambda: lambda }, 10, rng(seed)).map((p) => p.candidate.itemId);
      expect(diversity(ids(0.5), facts)).toBeGreaterThan(diversity(ids(1), facts));
      expect(ids(1)).toEqual(candidates.slice(0, 10).map((c) => c.itemId));
    }
  });

  it("holds category caps, frequency caps and exclusions; pins sit where pinned", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { candidates, facts, scores } = world(80, seed);
      const impressions = { i1: 8, i2: 3 };
      const policy: PolicyConfig = {
        ...DEFAULT_POLICY,
        maxPerCategory: 3,
        frequencyCap: 8,
        rules: [
          { kind: "exclude", match: { category: "C" } },
          { kind: "exclude", match: { itemId: "i5" } },
          { kind: "pin", itemId: "i70", position: 2 },
          { kind: "pin", itemId: "promo", position: 5 },
        ],
      };
      const placed = rerank(candidates, scores, facts, impressions, policy, 12, rng(seed));
      const ids = placed.map((p) => p.candidate.itemId);
      // The category cap may leave the list short: three categories remain, three items each.
      expect(ids.length).toBeGreaterThanOrEqual(8);
      expect(ids.length).toBeLessThanOrEqual(12);
      expect(new Set(ids).size).toBe(ids.length);
      if (!facts.get("i70")!.categories.includes("C")) expect(ids[1]).toBe("i70");
      else expect(ids).not.toContain("i70");
      expect(ids[4]).toBe("promo");
      expect(ids).not.toContain("i1");
      expect(ids).not.toContain("i5");
      for (const id of ids) expect(facts.get(id)?.categories ?? []).not.toContain("C");
      const unpinned = placed.filter((p) => !p.pinned && !p.explored).map((p) => facts.get(p.candidate.itemId)!.categories);
      for (const cat of CATS) expect(unpinned.filter((c) => c.includes(cat)).length).toBeLessThanOrEqual(3);
    }
  });

  it("caps by the counts the impression record holds itself, never one it inherits", () => {
    const { candidates, facts, scores } = world(20, 5);
    const policy: PolicyConfig = { ...noExplore, mmrLambda: 1, frequencyCap: 8 };
    const ids = (impressions: Record<string, number>) => rerank(candidates, scores, facts, impressions, policy, 5, rng(1)).map((p) => p.candidate.itemId);
    // i0 was shown 9 times: capped. A record whose prototype holds a count for i1 says nothing of i1 (items are keyed by data:
    // an item named constructor or toString must not read what every object inherits).
    const counts: Record<string, number> = Object.assign(Object.create({ i1: 9 }) as Record<string, number>, { i0: 9 });
    expect(ids(counts)).toEqual(["i1", "i2", "i3", "i4", "i5"]);
  });

  it("boosts and buries move items, and fresh items get their boost", () => {
    const { candidates, facts, scores } = world(40, 7);
    const top = (policy: PolicyConfig) => rerank(candidates, scores, facts, {}, { ...policy, mmrLambda: 1 }, 5, rng(1)).map((p) => p.candidate.itemId);
    expect(top({ ...noExplore, rules: [{ kind: "boost", match: { itemId: "i30" }, by: 100 }] })[0]).toBe("i30");
    expect(top({ ...noExplore, rules: [{ kind: "bury", match: { itemId: "i0" }, by: 100 }] })).not.toContain("i0");
    expect(top({ ...noExplore, freshBoost: 100 })[0]).toBe("i0"); // i0, i10, ... are fresh; i0 scores highest among them
    // With a large fresh boost, the fresh items (every tenth) lead, in score order.
    expect(top({ ...noExplore, freshBoost: 100 }).slice(0, 4)).toEqual(["i0", "i10", "i20", "i30"]);
  });

  it("explores at about epsilon from the configured slot, with consistent propensities", () => {
    const { candidates, facts, scores } = world(60, 3);
    const policy: PolicyConfig = { ...noExplore, mmrLambda: 1, explorationRate: 0.2, explorationFrom: 4 };
    const random = rng(99);
    let eligible = 0;
    let explored = 0;
    const runs = 2000;
    for (let run = 0; run < runs; run++) {
      const placed = rerank(candidates, scores, facts, {}, policy, 10, random);
      expect(new Set(placed.map((p) => p.candidate.itemId)).size).toBe(10);
      placed.forEach((p, slot) => {
        if (slot < 3) {
          expect(p.explored).toBe(false);
          expect(p.propensity).toBe(1);
          return;
        }
        eligible++;
        if (p.explored) {
          explored++;
          expect(p.propensity).toBeLessThan(0.2);
        } else expect(p.propensity).toBeGreaterThan(0.8);
        expect(p.propensity).toBeGreaterThan(0);
      });
    }
    // An exploring draw can land on the greedy item (1 chance in m ≈ 50), so the rate is epsilon·(1 - 1/m).
    expect(explored / eligible).toBeGreaterThan(0.17);
    expect(explored / eligible).toBeLessThan(0.22);
  });
});

/**
 * The definitions, written plainly: greedy MMR with category Jaccard over the
 * score-sorted pool (first best wins ties), then epsilon-greedy where a slot's
 * options are the pool items not placed above it nor still placed below it.
 */
function referenceOrder(
  pool: { id: string; score: number; cats: string[] }[],
  slots: number,
  lambda: number,
  epsilon: number,
  from: number,
  random: () => number,
  maxPerCategory = 0,
) {
  const lo = Math.min(...pool.map((p) => p.score));
  const hi = Math.max(...pool.map((p) => p.score));
  const remaining = [...pool].sort((a, b) => b.score - a.score);
  const chosen: typeof pool = [];
  const open = (p: (typeof pool)[number]) => maxPerCategory === 0 || p.cats.every((c) => chosen.filter((q) => q.cats.includes(c)).length < maxPerCategory);
  while (chosen.length < slots && remaining.length > 0) {
    const value = (p: (typeof pool)[number]) =>
      lambda * (hi > lo ? (p.score - lo) / (hi - lo) : 1) - (1 - lambda) * Math.max(0, ...chosen.map((q) => jaccard(p.cats, q.cats)));
    let best = -1;
    for (let i = 0; i < remaining.length; i++) if (open(remaining[i]!) && (best < 0 || value(remaining[i]!) > value(remaining[best]!))) best = i;
    if (best < 0) break;
    chosen.push(...remaining.splice(best, 1));
  }
  const placed = chosen.map((p) => ({ id: p.id, propensity: 1 }));
  const used = new Set<string>();
  placed.forEach((greedy, slot) => {
    if (epsilon > 0 && slot + 1 >= from) {
      const below = new Set(placed.slice(slot + 1).map((q) => q.id));
      const options = pool.filter((p) => p.id === greedy.id || (!used.has(p.id) && !below.has(p.id)));
      if (random() < epsilon && options.length > 1) {
        const pick = options[Math.floor(random() * options.length)]!;
        placed[slot] = { id: pick.id, propensity: pick.id === greedy.id ? 1 - epsilon + epsilon / options.length : epsilon / options.length };
      } else greedy.propensity = 1 - epsilon + epsilon / Math.max(1, options.length);
    }
    used.add(placed[slot]!.id);
  });
  return placed;
}

describe("rerank against the plain definitions", () => {
  it("places the same items with the same propensities over random pools and knobs", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = rng(seed);
      const n = 5 + Math.floor(rand() * (seed % 10 === 0 ? 300 : 60));
      const cats = Array.from({ length: 1 + Math.floor(rand() * 40) }, (_, k) => `c${k}`);
      const pool = Array.from({ length: n }, (_, i) => ({
        id: `i${i}`,
        // Ties on purpose: scores on a coarse grid, or continuous.
        score: seed % 2 === 0 ? Math.floor(rand() * 8) : rand(),
        cats: cats.filter(() => rand() < 3 / cats.length),
      }));
      const candidates: Candidate[] = pool.map((p) => ({ itemId: p.id, sources: { ann: p.score } }));
      const facts = new Map<string, ItemFacts>(
        pool.map((p) => [p.id, { itemId: p.id, title: p.id, categories: p.cats, year: null, popularity: 0, available: true, fresh: false }]),
      );
      // The ends of the lambda range on purpose: relevance only, and diversity only.
      const mmrLambda = seed % 7 === 0 ? 0 : seed % 7 === 1 ? 1 : rand();
      const maxPerCategory = seed % 4 === 0 ? 1 + Math.floor(rand() * 4) : 0;
      const policy: PolicyConfig = {
        ...noExplore,
        mmrLambda,
        maxPerCategory,
        explorationRate: seed % 3 === 0 ? 0 : rand() * 0.5,
        explorationFrom: 1 + Math.floor(rand() * 5),
      };
      const limit = 1 + Math.floor(rand() * n);
      const got = rerank(
        candidates,
        pool.map((p) => p.score),
        facts,
        {},
        policy,
        limit,
        rng(seed * 97),
      );
      const want = referenceOrder(pool, limit, policy.mmrLambda, policy.explorationRate, policy.explorationFrom, rng(seed * 97), maxPerCategory);
      expect(got.map((p) => p.candidate.itemId)).toEqual(want.map((p) => p.id));
      got.forEach((p, i) => expect(p.propensity).toBeCloseTo(want[i]!.propensity, 12));
    }
  });
});

/** P(order) as the product of each pick's share exp(s/τ) of what is left, summed over every order of the window: P(item at slot). */
function enumeratedMarginals(scores: number[], temperature: number): number[][] {
  const n = scores.length;
  const w = scores.map((s) => Math.exp(s / temperature));
  const out = scores.map(() => new Array<number>(n).fill(0));
  const walk = (prefix: number[], p: number) => {
    if (prefix.length === n) return prefix.forEach((item, slot) => (out[item]![slot]! += p));
    const rest = w.reduce((sum, x, i) => (prefix.includes(i) ? sum : sum + x), 0);
    for (let i = 0; i < n; i++) if (!prefix.includes(i)) walk([...prefix, i], (p * w[i]!) / rest);
  };
  walk([], 1);
  return out;
}

describe("softmax exploration", () => {
  const { candidates, facts, scores } = world(80, 4);
  const policy = { ...noExplore, mmrLambda: 1 };
  const softmax = { policy: "softmax" as const, temperature: 0.02, topN: 6, from: 3 };
  const greedy = rerank(candidates, scores, facts, {}, policy, 20, rng(1), { policy: "epsilon", rate: 0, from: 1 });
  const window = greedy.slice(2, 8);
  const windowScores = window.map((p) => Math.round(p.score * 1e6) / 1e6);
  const exact = enumeratedMarginals(windowScores, softmax.temperature);

  it("reorders only the window's greedy items, each with its exact marginal at the slot it lands in, as enumeration over all orders gives", () => {
    let moved = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const got = rerank(candidates, scores, facts, {}, policy, 20, rng(seed), softmax);
      expect(got.map((p) => p.candidate.itemId).filter((_, k) => k < 2 || k >= 8)).toEqual(
        greedy.map((p) => p.candidate.itemId).filter((_, k) => k < 2 || k >= 8),
      );
      expect(new Set(got.slice(2, 8).map((p) => p.candidate.itemId))).toEqual(new Set(window.map((p) => p.candidate.itemId)));
      got.forEach((p, k) => {
        if (k < 2 || k >= 8) return expect(p.propensity).toBe(1);
        const j = window.findIndex((g) => g.candidate.itemId === p.candidate.itemId);
        expect(p.propensity).toBeCloseTo(exact[j]![k - 2]!, 12);
        expect(p.window).toEqual(windowScores);
        if (p.explored) moved++;
        expect(p.explored).toBe(j !== k - 2);
      });
    }
    expect(moved).toBeGreaterThan(0);
  });

  it("puts each item in each slot as often as its propensity says, and a slot's propensities over the window sum to 1", () => {
    const trials = 20_000;
    const counts = new Map<string, number>();
    const stated = new Map<string, number>();
    for (let seed = 1; seed <= trials; seed++) {
      rerank(candidates, scores, facts, {}, policy, 20, rng(seed * 7919), softmax)
        .slice(2, 8)
        .forEach((p, k) => {
          const key = `${p.candidate.itemId}@${k}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
          stated.set(key, p.propensity);
        });
    }
    for (const [key, p] of stated) expect(Math.abs(counts.get(key)! / trials - p)).toBeLessThan(0.012);
    for (let k = 0; k < 6; k++) {
      const column = window.reduce((sum, _, j) => sum + exact[j]![k]!, 0);
      expect(column).toBeCloseTo(1, 12);
      const seen = [...stated].filter(([key]) => key.endsWith(`@${k}`)).reduce((sum, [, p]) => sum + p, 0);
      // Every item reached every slot at this temperature, so the stated propensities cover the column.
      expect(seen).toBeCloseTo(1, 12);
    }
  });

  it("keeps the greedy list and propensity 1 for a one-slot window", () => {
    const got = rerank(candidates, scores, facts, {}, policy, 20, rng(3), { ...softmax, topN: 1 });
    expect(got.map((p) => p.candidate.itemId)).toEqual(greedy.map((p) => p.candidate.itemId));
    expect(got.every((p) => p.propensity === 1 && !p.explored)).toBe(true);
  });
});
