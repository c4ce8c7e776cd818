import { describe, expect, it } from "vitest";
import { SERVED_KNOBS } from "../../../shared/funnel/knobs";
import { type FunnelRequest, runFunnel } from "../../../shared/funnel/run-funnel";
import { type FunnelSession } from "../../../shared/funnel/session";
import { EMPTY_IMPRESSIONS } from "../../../shared/ranking/impression-table";
import { WARM_LIGHT_WEIGHTS } from "../../../shared/ranking/light-rank";
import { type RankingOrder, rankingOrderProblem, sourceOrderWeights } from "../../../shared/ranking/ranking-order";
import { fixtureFunnelIndex, randomMlp } from "../../../test/fixtures/funnel-index";
import { loadNodeKernel } from "../ann/node-kernel";
import { memoryFunnelPorts } from "./memory-ports";

const kernel = loadNodeKernel();
const fixture = fixtureFunnelIndex(kernel);
const request: FunnelRequest = {
  surface: "home",
  contextItemId: null,
  category: null,
  excludeIds: [],
  region: "us",
  listSize: 30,
  nowMs: Date.UTC(2026, 0, 1),
};
const warm: FunnelSession = {
  history: [
    { itemId: "ann-3", weight: 2 },
    { itemId: "ann-40", weight: 1 },
  ],
  seenItemIds: ["ann-3", "ann-40"],
  impressions: EMPTY_IMPRESSIONS,
  affinities: [],
  declaredCategories: [],
};
const knobs = { ...SERVED_KNOBS, policy: { explorationRate: 0, mmrLambda: 1 } };

async function served(order: RankingOrder | null, session: FunnelSession = warm) {
  const source = order?.startsWith("source:") ? (order.slice(7) as "ann") : null;
  const index = { version: "v-order", ...fixture, lightWeights: source ? sourceOrderWeights(source) : WARM_LIGHT_WEIGHTS, order };
  return runFunnel(memoryFunnelPorts(index, { kernel, ranker: randomMlp(3) }), request, session, knobs, () => 1);
}

describe("the index's ranking order", () => {
  it("runs the heavy model only when the index chose it (or names no order), and says which order served", async () => {
    const [heavy, unnamed, light] = await Promise.all([served("heavy"), served(null), served("light")]);
    expect(heavy.ranker).toBe("heavy");
    expect(unnamed.ranker).toBe("heavy");
    expect(light.ranker).toBe("light");
    expect(light.entries.map((e) => e.itemId)).not.toEqual(heavy.entries.map((e) => e.itemId));
  });

  it("serves a single source's own order through the light weights, and names it", async () => {
    const result = await served("source:ann");
    expect(result.ranker).toBe("source:ann");
    // ANN candidates first, by their ANN score.
    const annScores = result.entries.filter((e) => e.sources.includes("ann")).map((e) => e.score);
    expect(result.entries.slice(0, annScores.length).every((e) => e.sources.includes("ann"))).toBe(true);
    expect(annScores).toEqual([...annScores].sort((a, b) => b - a));
  });

  it("says light for a cold start, whose light weights are the defaults whatever the index chose", async () => {
    const cold = await served("source:ann", { ...warm, history: [], seenItemIds: [], declaredCategories: ["Drama"] });
    expect(cold.ranker).toBe("light");
  });

  it("accepts only known orders in a manifest", () => {
    expect(rankingOrderProblem("heavy")).toBeNull();
    expect(rankingOrderProblem("source:covisit")).toBeNull();
    expect(rankingOrderProblem("source:nope")).toMatch(/must be/);
    expect(rankingOrderProblem(3)).toMatch(/must be/);
  });
});
