import { describe, expect, it } from "vitest";
import { SERVED_KNOBS } from "../../../shared/funnel/knobs";
import { type FunnelRequest, runFunnel } from "../../../shared/funnel/run-funnel";
import { type FunnelSession } from "../../../shared/funnel/session";
import { EMPTY_IMPRESSIONS } from "../../../shared/ranking/impression-table";
import { fixtureFunnelIndex, funnelCatalog } from "../../../test/fixtures/funnel-index";
import { loadNodeKernel } from "../ann/node-kernel";
import { memoryFunnelPorts } from "./memory-ports";

const kernel = loadNodeKernel();
const fixture = fixtureFunnelIndex(kernel);
const ports = memoryFunnelPorts({ version: "v-surfaces", ...fixture, lightWeights: null }, { kernel });
const knobs = { ...SERVED_KNOBS, policy: { explorationRate: 0, mmrLambda: 1 } };
const categoryOf = new Map(funnelCatalog().map((c) => [c.itemId, c.categories[0]!]));

function session(history: string[]): FunnelSession {
  return {
    history: history.map((itemId) => ({ itemId, weight: 1 })),
    seenItemIds: history,
    impressions: EMPTY_IMPRESSIONS,
    affinities: [],
    declaredCategories: [],
  };
}

async function entries(surface: FunnelRequest["surface"], contextItemId: string, history: string[]) {
  const request = { surface, contextItemId, category: null, excludeIds: [], region: "us", listSize: 20, nowMs: 0 };
  return (await runFunnel(ports, request, session(history), knobs, () => 1)).entries;
}

async function list(surface: FunnelRequest["surface"], contextItemId: string, history: string[]): Promise<string[]> {
  return (await entries(surface, contextItemId, history)).map((e) => e.itemId);
}

describe("up next and related are different lists", () => {
  const a = ["ann-500", "ann-501", "ann-502"];
  const b = ["ann-1100", "ann-1200", "ann-1300"];

  it("related: items like this one, whoever asks (the history only leaves out what was seen)", async () => {
    expect(await list("related", "ann-10", a)).toEqual(await list("related", "ann-10", b));
    // Its content source proposes the item's own category, not the user's.
    const content = (await entries("related", "ann-10", a)).filter((e) => e.sources.includes("content"));
    expect(content.length).toBeGreaterThan(0);
    for (const e of content) expect(categoryOf.get(e.itemId)).toBe(categoryOf.get("ann-10"));
  });

  it("up next: what comes after this item for this user, led by co-visitation of the item and shaped by the session", async () => {
    const [forA, forB] = [await list("up_next", "ann-10", a), await list("up_next", "ann-10", b)];
    expect(forA).not.toEqual(forB);
    // In the fixture ann-11 .. ann-15 follow ann-10.
    for (const next of [forA, forB]) expect(next.slice(0, 20)).toContain("ann-11");
    expect(await list("up_next", "ann-10", a)).not.toEqual(await list("related", "ann-10", a));
  });
});
