import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../seeded-random";
import { type Candidate, type ItemFacts } from "../../ranking/candidate";
import { DEFAULT_POLICY, type PolicyConfig } from "../../ranking/policy/policy-config";
import { rerank } from "../../ranking/policy/rerank";
import { type ImpressionRecord } from "../exposure";
import { offPolicyEstimates } from "./estimators";
import { clickKey, slateSamples } from "./slate-samples";

const N_ITEMS = 30;
const LIMIT = 8;
const candidates: Candidate[] = Array.from({ length: N_ITEMS }, (_, i) => ({ itemId: `i${i}`, sources: { popular: N_ITEMS - i } }));
const scores = Float64Array.from({ length: N_ITEMS }, (_, i) => 1 - i / N_ITEMS);
const facts = new Map<string, ItemFacts>(
  candidates.map((c) => [c.itemId, { itemId: c.itemId, title: c.itemId, categories: [], year: null, popularity: 0, available: true, fresh: false }]),
);
/** Click probability of an item at a position: the best items are the most clicked, and lower positions are seen less. */
const clickProb = (itemId: string, k: number) => (0.25 - 0.006 * Number(itemId.slice(1))) / (1 + 0.3 * k);

/** Lists from the real re-ranker (epsilon-greedy from position 3), clicked by the model above. */
function serve(rng: SeededRandom, policy: PolicyConfig, lists: number): { impressions: ImpressionRecord[]; clicked: Set<string>; clicks: number } {
  const impressions: ImpressionRecord[] = [];
  const clicked = new Set<string>();
  let clicks = 0;
  for (let n = 0; n < lists; n++) {
    const placed = rerank(candidates, scores, facts, {}, policy, LIMIT, () => rng.next());
    const id = `imp${n}`;
    placed.forEach((p, k) => {
      if (rng.next() < clickProb(p.candidate.itemId, k)) {
        clicked.add(clickKey(id, p.candidate.itemId));
        clicks++;
      }
    });
    impressions.push({
      impressionId: id,
      userId: "u",
      variant: "default",
      region: "us",
      surface: "home",
      contextItemId: null,
      indexVersion: "v",
      itemIds: placed.map((p) => p.candidate.itemId),
      ranks: placed.map((_, k) => k + 1),
      scores: placed.map((p) => p.score),
      propensities: placed.map((p) => p.propensity),
      exploration: { rate: policy.explorationRate, from: policy.explorationFrom },
      experiments: [],
      serverMs: 1,
      degraded: false,
    });
  }
  return { impressions, clicked, clicks };
}

describe("off-policy estimates of another exploration rate from logged slates", () => {
  it("recovers the clicks per list the candidate rate really gets", () => {
    const rng = new SeededRandom(99);
    const logging = { ...DEFAULT_POLICY, mmrLambda: 1, explorationRate: 0.1, explorationFrom: 3 };
    const logged = serve(rng, logging, 12_000);
    // The truth, by serving the candidate itself (many more lists).
    const truth = serve(rng, { ...logging, explorationRate: 0.3 }, 40_000);
    const truthPerList = truth.clicks / 40_000;
    const { samples, skipped } = slateSamples(logged.impressions, logged.clicked, { kind: "epsilon", rate: 0.3 });
    expect(skipped).toBe(0);
    const est = offPolicyEstimates(samples, { bootstrap: 200, seed: 3 });
    const perList = (x: number) => x * LIMIT;
    console.info(
      `slate OPE: logged ${(logged.clicks / 12_000).toFixed(4)} clicks/list at rate 0.1; candidate 0.3 served ${truthPerList.toFixed(4)}; ` +
        `IPS ${perList(est.ips.value).toFixed(4)}, SNIPS ${perList(est.snips.value).toFixed(4)}, DR ${perList(est.dr.value).toFixed(4)}; ESS ${Math.round(est.effectiveSampleSize)} of ${est.samples}`,
    );
    for (const e of [est.snips, est.dr]) {
      expect(Math.abs(perList(e.value) - truthPerList) / truthPerList).toBeLessThan(0.03);
    }
    // More exploration, fewer clicks: the estimate sees the direction the logs alone cannot show.
    expect(perList(est.dr.value)).toBeLessThan(logged.clicks / 12_000);
  });

  it("gives the softmax candidate its exact marginals, and no weight where it puts the item elsewhere", () => {
    const imp = serve(new SeededRandom(5), { ...DEFAULT_POLICY, explorationRate: 0 }, 1).impressions[0]!;
    const { samples } = slateSamples([imp], new Set(), { kind: "softmax", temperature: 0.001, topN: 4 });
    // At a temperature near 0, softmax is the greedy order: the logged greedy list gets probability 1 at the top 4.
    expect(samples.slice(0, 4).map((s) => s.targetProb)).toEqual([1, 1, 1, 1].map((x) => expect.closeTo(x, 9)));
    expect(samples.slice(4).map((s) => s.targetProb)).toEqual(imp.propensities.slice(4));
  });
});

describe("a replayed list as the candidate", () => {
  it("weighs a logged position 1/p where the list agrees, 0 where it does not, and skips impressions it lacks", () => {
    const imp = serve(new SeededRandom(6), { ...DEFAULT_POLICY, explorationRate: 0.5, explorationFrom: 1 }, 1).impressions[0]!;
    const agreeing = [...imp.itemIds];
    agreeing[1] = "elsewhere";
    const { samples, skipped } = slateSamples([imp, { ...imp, impressionId: "unreplayed" }], new Set(), {
      kind: "lists",
      label: "x",
      lists: new Map([[imp.impressionId, agreeing]]),
    });
    expect(skipped).toBe(1);
    expect(samples.map((s) => s.targetProb)).toEqual(agreeing.map((id, k) => (id === imp.itemIds[k] ? 1 : 0)));
  });
});
