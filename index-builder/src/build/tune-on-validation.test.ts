import { describe, expect, it } from "vitest";
import { type Dataset } from "../data/movielens";
import { describeTransform } from "../data/weights";
import { startChoice } from "./build-index";
import { syntheticPlayLog } from "../import/fixtures/synthetic-play-log";
import { beyondALoser, datasetTuningData, DEFAULT_TUNE, DLAE_HEAD_ITEMS, dlaeCandidates, ialsCost, lightGrid, tuneOnValidation } from "./tune-on-validation";

describe("tuneOnValidation", () => {
  it("keeps the start point, loudly, when the validation carve cannot decide anything", async () => {
    const items = ["a", "b", "c"].map((itemId) => ({ itemId, title: itemId, categories: [], year: null, tags: [], available: true }));
    const interactions = ["u1", "u2", "u3"].flatMap((userId) => items.map((item) => ({ userId, itemId: item.itemId, rating: null, count: 2, timestampMs: 0 })));
    const dataset: Dataset = { name: "tiny", items, interactions, weightKind: "plays" };
    const lines: string[] = [];
    const start = startChoice(dataset);
    const { choice, report } = await tuneOnValidation(datasetTuningData(dataset), start, { ...DEFAULT_TUNE, log: (l) => lines.push(l) });
    expect(choice).toBe(start);
    expect(report.skipped).toMatch(/only 3 users have held-out rows/);
    expect(report.trials).toEqual([]);
    expect(report.carve.method).toBe("random");
    expect(lines.some((l) => l.startsWith("WARNING: tuning skipped"))).toBe(true);
  });

  it("offers count kinds their transforms and ratings theirs: dislikes below 3, stars as confidence, binary", () => {
    const base = { name: "d", items: [], interactions: [{ userId: "u", itemId: "i", rating: null, count: 9, timestampMs: 0 }] };
    expect(datasetTuningData({ ...base, weightKind: "plays" }).transforms.map((t) => t.kind)).toEqual(["log", "binary"]);
    expect(datasetTuningData({ ...base, interactions: [{ ...base.interactions[0]!, rating: 4 }] }).transforms).toEqual([
      { kind: "rating", ratingMax: 5 },
      { kind: "stars", ratingMax: 5 },
      { kind: "binary" },
    ]);
  });

  it("grids light weights with ANN as the backbone and every other source weight finite", () => {
    const grid = lightGrid();
    expect(grid).toHaveLength(60);
    expect(new Set(grid.map((w) => JSON.stringify(w))).size).toBe(60);
    expect(grid.every((w) => w.source.ann === 1 && Object.values(w.source).every(Number.isFinite))).toBe(true);
  });

  it("gives the budget later stages leave back to a cut iALS walk, which then ends where an uncut walk ends", { timeout: 120_000 }, async () => {
    const log = syntheticPlayLog({ users: 160, items: 120, groups: 4, perUser: 14, seed: 5 });
    const ids = new Map<string, string>();
    const id = (prefix: string, raw: string) => ids.get(raw) ?? (ids.set(raw, `${prefix}${ids.size}`), ids.get(raw)!);
    const interactions = log.rows.map((r) => ({ userId: id("u", r.user), itemId: id("i", r.item), rating: null, count: r.plays, timestampMs: 0 }));
    const items = [...new Set(interactions.map((x) => x.itemId))].map((itemId) => ({
      itemId,
      title: itemId,
      categories: [],
      year: null,
      tags: [],
      available: true,
    }));
    const dataset: Dataset = { name: "plays", items, interactions, weightKind: "plays" };
    // A clock that charges 10 s per iALS trial and nothing else, so the cut falls at the same trial on any machine.
    const run = async (budgetSeconds: number) => {
      const lines: string[] = [];
      let ialsTrials = 0;
      const say = (line: string) => {
        lines.push(line);
        if (line.startsWith("tune ials: {")) ialsTrials++;
      };
      const result = await tuneOnValidation(datasetTuningData(dataset), startChoice(dataset), {
        ...DEFAULT_TUNE,
        budgetSeconds,
        log: say,
        clock: () => 10 * ialsTrials,
      });
      return { ...result, lines, ialsTrials };
    };
    const uncut = await run(1e6);
    expect(uncut.report.budgetCut).toBe(false);
    // Each weight transform walks its own α and λ (they fit its scale), not only the point another one reached.
    const ialsParams = uncut.report.trials.filter((t) => t.stage === "ials").map((t) => t.params);
    for (const t of datasetTuningData(dataset).transforms) {
      const mine = ialsParams.filter((p) => p.transform === describeTransform(t));
      expect(new Set(mine.map((p) => p.alpha)).size, describeTransform(t)).toBeGreaterThanOrEqual(3);
      expect(new Set(mine.map((p) => p.regularization)).size, describeTransform(t)).toBeGreaterThanOrEqual(3);
    }
    expect(uncut.lines.some((l) => l.includes("resuming"))).toBe(false);
    // 120 items: the co-visitation stage also tries the three DLAE lists, and keeps whichever list scored best.
    const covisitTrials = uncut.report.trials.filter((t) => t.stage === "covisit");
    const dlaeTrials = covisitTrials.filter((t) => String(t.params.lists ?? "").startsWith("dlae"));
    expect(dlaeTrials).toHaveLength(3);
    // Logged by the knobs that apply to them, not the Jaccard ones carried over.
    for (const t of dlaeTrials) expect(Object.keys(t.params).sort()).toEqual(["itemsWithList", "lists", "topN"]);
    // Each point scored once (the support grid holds the start point again), with how many items got a list.
    const points = covisitTrials.map((t) => JSON.stringify({ ...t.params, itemsWithList: null }));
    expect(new Set(points).size).toBe(points.length);
    for (const t of covisitTrials)
      expect(t.params.itemsWithList).toSatisfy((n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= items.length);
    expect(covisitTrials.find((t) => t.params.lists !== undefined)!.params.itemsWithList).toBeGreaterThan(0);
    const bestCovisit = covisitTrials.reduce((a, b) => (b.ndcgAt10 > a.ndcgAt10 ? b : a));
    expect(uncut.choice.covisit.similarity ?? "sar").toBe(bestCovisit.params.lists === undefined ? "sar" : "dlae");
    expect(uncut.report.choice.covisit.similarity).toBe(uncut.choice.covisit.similarity ?? "sar");
    // Enough for the whole walk, but its 60% share stops it first: the rest comes back after the light stage.
    // Two budgets cut the walk at different trials, one in the middle of a knob's candidates.
    const ialsTrials = (r: typeof uncut) => r.report.trials.filter((t) => t.stage === "ials").map((t) => JSON.stringify(t.params));
    // One light stage's trials in the report, whether or not it ran twice: the same as the uncut run's.
    const lightTrials = (r: typeof uncut) => r.report.trials.filter((t) => t.stage === "light").map((t) => [t.params, t.ndcgAt10]);
    const budget = 10 * uncut.ialsTrials + 20;
    for (const extra of [20, 45]) {
      const b = 10 * uncut.ialsTrials + extra;
      expect(0.6 * b).toBeLessThan(10 * (uncut.ialsTrials - 1));
      const resumed = await run(b);
      expect(resumed.lines.some((l) => l.startsWith("tune ials: resuming the walk"))).toBe(true);
      // On this log the resumed walk finds a better point, so the light weights are tuned again on its candidates.
      if (extra === 20) expect(resumed.lines.filter((l) => l.startsWith("tune light: ") && l.includes(" validation users;"))).toHaveLength(2);
      expect(resumed.report.budgetCut).toBe(false);
      expect(resumed.choice).toEqual(uncut.choice);
      expect(ialsTrials(resumed)).toEqual(ialsTrials(uncut));
      expect(lightTrials(resumed)).toEqual(lightTrials(uncut));
      expect(resumed.report.lightCheck).toEqual(uncut.report.lightCheck);
    }

    // Too small a budget: the walk stays cut, and the report and the log say so.
    const short = await run(0.6 * budget);
    expect(short.report.budgetCut).toBe(true);
    expect(short.lines.some((l) => l.startsWith("WARNING: the tuning budget"))).toBe(true);
    expect(short.ialsTrials).toBeLessThan(uncut.ialsTrials);

    // A trial starts only when the latest one of its kind says it ends within the budget: 5 s short of a
    // whole trial's 10, the walk stops a trial early instead of running one past the end.
    const fitting = Math.floor(uncut.ialsTrials / 2);
    const tight = await run(10 * fitting + 5);
    expect(tight.ialsTrials).toBe(fitting);
    expect(tight.report.spentSeconds).toBeLessThanOrEqual(10 * fitting + 5);
    expect(tight.report.budgetCut).toBe(true);
  });

  it("tries DLAE lists after the Jaccard grid, over every item of a small catalogue and the most-met head of a large one", () => {
    const base = { topN: 100, halfLifeSec: Infinity, minUsers: 5 };
    const small = dlaeCandidates(base, DLAE_HEAD_ITEMS);
    expect(small.map((o) => [o.similarity, o.dlaeDropout, o.topN, o.dlaeHead])).toEqual([
      ["dlae", 0.5, 200, undefined],
      ["dlae", 0.25, 200, undefined],
      ["dlae", 0.75, 200, undefined],
    ]);
    for (const o of small) expect(o.easeRegularization).toBeGreaterThan(0);
    expect(dlaeCandidates(base, DLAE_HEAD_ITEMS + 1).map((o) => o.dlaeHead)).toEqual([DLAE_HEAD_ITEMS, DLAE_HEAD_ITEMS, DLAE_HEAD_ITEMS]);
  });

  it("predicts an iALS trial's cost from the same size, else from the nearest size measured", () => {
    expect(ialsCost(new Map(), 64)).toBe(0);
    const costs = new Map([
      [32, 2],
      [128, 20],
    ]);
    expect(ialsCost(costs, 32)).toBe(2);
    expect(ialsCost(costs, 128)).toBe(20);
    // 64 is as near 32 as 128 in ratio: the first measured wins, scaled by 2^1.5.
    expect(ialsCost(costs, 64)).toBeCloseTo(2 * 2 ** 1.5, 9);
    expect(ialsCost(costs, 256)).toBeCloseTo(20 * 2 ** 1.5, 9);
    expect(ialsCost(costs, 16)).toBeCloseTo(2 / 2 ** 1.5, 9);
  });

  it("skips a size beyond one that lost at the same point, in either direction", () => {
    const grid = [32, 64, 128, 256];
    const fitted = (sizes: number[]) => (d: number) => sizes.includes(d);
    // Best 32, 64 fitted and lost: 128 and 256 lie beyond it; 64 itself does not.
    expect(beyondALoser(128, 32, fitted([32, 64]), grid)).toBe(true);
    expect(beyondALoser(256, 32, fitted([32, 64]), grid)).toBe(true);
    expect(beyondALoser(64, 32, fitted([32]), grid)).toBe(false);
    // Nothing between the best and the candidate fitted yet: try it.
    expect(beyondALoser(128, 32, fitted([32, 256]), grid)).toBe(false);
    // Downwards alike: best 256, 128 lost, so 64 and 32 are skipped.
    expect(beyondALoser(32, 256, fitted([128, 256]), grid)).toBe(true);
    expect(beyondALoser(128, 256, fitted([256]), grid)).toBe(false);
    // The best itself is never "beyond".
    expect(beyondALoser(64, 64, fitted([32, 64, 128]), grid)).toBe(false);
  });
});
