import { describe, expect, it } from "vitest";
import { type Dataset } from "../data/movielens";
import { IalsRecommender } from "../eval/ials-recommender";
import { trainingTable } from "../build/training-table";
import { DEMO_IALS, embeddingsOf, trainIals, trainIalsOnTable } from "./train-ials";

const item = (itemId: string) => ({ itemId, title: itemId, categories: [], year: null, tags: [], available: true });
const dataset: Dataset = {
  name: "tiny",
  items: ["10", "2", "30", "4"].map(item),
  interactions: [
    { userId: "b", itemId: "2", rating: 5, timestampMs: 1 },
    { userId: "a", itemId: "10", rating: 4, timestampMs: 2 },
    { userId: "a", itemId: "2", rating: 1, timestampMs: 3 },
    { userId: "b", itemId: "30", rating: null, timestampMs: 4 },
  ],
};

describe("trainIals", () => {
  it("returns row-major vectors aligned with sorted ids, zero for items nobody touched", () => {
    const e = trainIals(dataset, { dims: 4, sweeps: 3 });
    expect(e.itemIds).toEqual(["2", "4", "10", "30"]);
    expect(e.userIds).toEqual(["a", "b"]);
    expect(e.itemVectors).toHaveLength(4 * 4);
    expect(e.userVectors).toHaveLength(2 * 4);
    expect(e.gram).toHaveLength(16);
    expect(Array.from(e.itemVectors.subarray(4, 8)).every((v) => Math.abs(v) < 1e-6)).toBe(true);
    expect(e.params).toEqual({ alpha: e.params.alpha, regularization: e.params.regularization, regExponent: e.params.regExponent });
  });

  it("packs a recommender's fitted factors into the very embeddings a fresh fit gives (tuning reuses them)", () => {
    const table = trainingTable(dataset);
    const options = { ...DEMO_IALS, dims: 4, sweeps: 3 };
    const model = new IalsRecommender(options, "values");
    model.fit(table);
    expect(embeddingsOf(table, model.factors!, options)).toEqual(trainIalsOnTable(table, options));
  });
});
