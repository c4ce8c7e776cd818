import { describe, expect, it } from "vitest";
import { FEATURE_COUNT } from "../../../shared/ranking/features";
import { describeRanker, rankerFromOnnx, rankerScore } from "../../../shared/ranking/ranker-model";
import { parseRankerSpec, RANKER_BLOBS } from "../../../shared/ranking/onnx-ranker";
import { type Dataset } from "../data/movielens";
import { mulberry32 } from "../train/seeded-random";
import { buildRanker, DEFAULT_RANKER_BUILD, type RankerBuildOptions, splitHalves } from "./build-ranker";
import { trainHeavy, treeTraining } from "./train-heavy";
import { rankingQuality } from "./ranking-quality";
import { DEFAULT_MLP_TRAINING, selectGroups } from "./train-mlp";
import { buildRankerDataset, RANKER_CARVE_SEED } from "./ranker-dataset";
import { trainingTable } from "../build/training-table";
import { perUserRandomSplit } from "../eval/carve-check";

/** 150 users in three taste clusters over 90 items (30 per genre), 24 ratings each, later ones more on-taste. */
function synthetic(): Dataset {
  const next = mulberry32(4);
  const genres = ["Action", "Drama", "Comedy"];
  const items = Array.from({ length: 90 }, (_, i) => ({
    itemId: String(i + 1),
    title: `Item ${i + 1}`,
    categories: [genres[i % 3]!],
    year: 1980 + (i % 40),
    tags: [],
    available: true,
  }));
  const interactions: Dataset["interactions"] = [];
  for (let u = 0; u < 150; u++) {
    const taste = u % 3;
    const seen = new Set<number>();
    for (let k = 0; k < 24; k++) {
      let item: number;
      do item = next() < 0.8 ? taste + 3 * Math.floor(next() * 30) : Math.floor(next() * 90);
      while (seen.has(item));
      seen.add(item);
      interactions.push({
        userId: String(u + 1),
        itemId: String(item + 1),
        rating: item % 3 === taste ? 4 + Math.round(next()) : 2,
        timestampMs: 1_500_000_000_000 + (u * 24 + k) * 3_600_000,
      });
    }
  }
  return { name: "synthetic", items, interactions };
}

const options: RankerBuildOptions = {
  ...DEFAULT_RANKER_BUILD,
  dataset: {
    ...DEFAULT_RANKER_BUILD.dataset,
    ials: { dims: 16, sweeps: 3 },
    knobs: {
      ...DEFAULT_RANKER_BUILD.dataset.knobs,
      quota: { ...DEFAULT_RANKER_BUILD.dataset.knobs.quota, ann: 20, covisit: 10, popular: 10, content: 10 },
      heavyTopN: 30,
    },
  },
  training: { model: "mlp", mlp: { ...DEFAULT_MLP_TRAINING, epochs: 3 } },
};
const trees: RankerBuildOptions = { ...options, training: treeTraining({ trees: 20, depth: 3 }) };

describe("buildRanker", () => {
  it("labels only held-out items and never proposes what the user had seen", async () => {
    const dataset = synthetic();
    const data = await buildRankerDataset(dataset, options.dataset);
    expect(data.groupUsers).toHaveLength(150);
    expect(data.features).toHaveLength(data.labels.length * FEATURE_COUNT);
    expect([...data.features].every(Number.isFinite)).toBe(true);
    const byUser = new Map<string, { ms: number; itemId: string }[]>();
    for (const x of dataset.interactions) byUser.set(x.userId, [...(byUser.get(x.userId) ?? []), { ms: x.timestampMs, itemId: x.itemId }]);
    data.groupUsers.forEach((user, g) => {
      const rows = byUser.get(user)!.sort((a, b) => a.ms - b.ms);
      const cut = rows.length - Math.round(0.2 * rows.length);
      const history = new Set(rows.slice(0, cut).map((r) => r.itemId));
      const later = new Set(rows.slice(cut).map((r) => r.itemId));
      expect(data.heldOut[g]).toBe(later.size);
      for (let r = data.groupStart[g]!; r < data.groupStart[g + 1]!; r++) {
        expect(history.has(data.candidates[r]!.itemId)).toBe(false);
        expect(data.labels[r]).toBe(later.has(data.candidates[r]!.itemId) ? 1 : 0);
      }
    });
  });

  it("learns from a seeded per-user random carve when time cannot carve, labelling exactly its held-out rows", async () => {
    const timed = synthetic();
    const dataset: Dataset = { ...timed, interactions: timed.interactions.map((x) => ({ ...x, timestampMs: 1_500_000_000_000 })) };
    const data = await buildRankerDataset(dataset, options.dataset);
    const again = await buildRankerDataset(dataset, options.dataset);
    expect(again.labels).toEqual(data.labels);
    // The carve is the tuner's: each user's 20% drawn at random (seed RANKER_CARVE_SEED), not the last rows of the file.
    const table = trainingTable(dataset);
    const mask = perUserRandomSplit(table, 0.2, RANKER_CARVE_SEED);
    const heldOut = new Map<string, Set<string>>();
    const history = new Map<string, Set<string>>();
    for (let r = 0; r < table.users.length; r++) {
      const into = mask[r] === 0 ? history : heldOut;
      const user = table.userIds[table.users[r]!]!;
      into.set(user, (into.get(user) ?? new Set()).add(table.itemIds[table.items[r]!]!));
    }
    expect(data.groupUsers).toHaveLength(150);
    let lastRowsHeldOut = 0;
    data.groupUsers.forEach((user, g) => {
      const later = heldOut.get(user)!;
      expect(data.heldOut[g]).toBe(later.size);
      const rows = dataset.interactions.filter((x) => x.userId === user);
      if (rows.slice(-later.size).every((x) => later.has(x.itemId))) lastRowsHeldOut++;
      for (let r = data.groupStart[g]!; r < data.groupStart[g + 1]!; r++) {
        expect(history.get(user)!.has(data.candidates[r]!.itemId)).toBe(false);
        expect(data.labels[r]).toBe(later.has(data.candidates[r]!.itemId) ? 1 : 0);
      }
    });
    expect(lastRowsHeldOut).toBeLessThan(5);
    expect(data.labels.some((l) => l === 1)).toBe(true);
  });

  it("scores every user with the model of the other half, as the eval's funnel cross-fits", async () => {
    const dataset = synthetic();
    const built = (await buildRanker(dataset, trees))!;
    const data = await buildRankerDataset(dataset, trees.dataset);
    const halves = splitHalves(data, trees.seed);
    const n = data.labels.length;
    const scores = new Float64Array(n);
    for (const k of [0, 1]) {
      const rows = selectGroups(data, halves[1 - k]!, FEATURE_COUNT);
      const model = trainHeavy({ ...rows, groupStart: rows.groupStart! }, FEATURE_COUNT, trees.training);
      const own = rankerScore(model, data.features, n);
      for (const g of halves[k]!) for (let r = data.groupStart[g]!; r < data.groupStart[g + 1]!; r++) scores[r] = own[r]!;
    }
    const everyone = data.groupUsers.map((_, g) => g);
    expect(built.report.orderings.heavy.ndcgAt10).toBeCloseTo(rankingQuality(scores, data.labels, data.groupStart, data.heldOut, everyone).ndcgAt10, 12);
    // Scored by a model that saw them, the users would look better: the check above is not vacuous.
    const seen = rankerScore(trainHeavy(data, FEATURE_COUNT, trees.training), data.features, n);
    expect(rankingQuality(seen, data.labels, data.groupStart, data.heldOut, everyone).ndcgAt10).toBeGreaterThan(built.report.orderings.heavy.ndcgAt10);
  });

  it.each([
    ["an MLP", options],
    ["LambdaMART trees", trees],
  ])("builds %s, its model blob and a spec that checks against this code's features, and ships it only when the order choice picks it", async (_, options) => {
    const built = await buildRanker(synthetic(), options);
    expect(built).not.toBeNull();
    const { report, blobs, shipped, order } = built!;
    // Every user is a validation user, scored by the model of the half that did not see them (cross-fitting).
    expect(report.halves[0]).toBeGreaterThanOrEqual(10);
    expect(report.halves[0] + report.halves[1]).toBe(150);
    expect(report.validationGroups).toBe(150);
    expect(report.orderings.heavy.groups).toBe(report.validationGroups);
    expect(report.model).toMatch(options.training.model === "trees" ? /^lambdamart oblivious trees 20×depth 3 / : /^lambdarank@10 \[/);
    // Light first, then the best source, then the model; each duel starts from the order chosen before it.
    expect(report.choice.duels.map((d) => d.challenger)).toEqual([expect.stringMatching(/^source:/), "heavy"]);
    expect(report.choice.users).toBe(report.validationGroups);
    expect(report.choice.ndcgAt10.light).toBeCloseTo(report.orderings.light.ndcgAt10, 10);
    expect(report.choice.ndcgAt10.heavy).toBeCloseTo(report.orderings.heavy.ndcgAt10, 10);
    expect(order).toBe(report.choice.order);
    expect(report.shipped).toBe(order === "heavy");
    expect(shipped !== null).toBe(report.shipped);
    if (!report.shipped) expect(blobs.size).toBe(0);
    // A test index may ship and serve the model whatever validation chose; the report keeps the choice.
    const forced = (await buildRanker(synthetic(), { ...options, alwaysShip: true }))!;
    expect(forced.order).toBe("heavy");
    expect(forced.report.choice).toEqual(report.choice);
    const { model, onnx } = forced.shipped!;
    expect(rankerFromOnnx(onnx)).toEqual(model);
    expect(describeRanker(model)).toMatch(options.training.model === "trees" ? /^oblivious forest 20 trees × depth 3$/ : /^mlp /);
    expect(forced.blobs.get(RANKER_BLOBS.model)?.bytes).toEqual(onnx);
    const spec = parseRankerSpec(forced.blobs.get(RANKER_BLOBS.spec)!.bytes);
    expect("spec" in spec && spec.spec.widths).toEqual(
      options.training.model === "mlp" ? [FEATURE_COUNT, ...options.training.mlp.hidden, 1] : [FEATURE_COUNT, 1],
    );
  });
});
