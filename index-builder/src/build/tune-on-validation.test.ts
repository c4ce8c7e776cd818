import { describe, expect, it } from "vitest";
import { type Dataset } from "../data/movielens";
import { startChoice } from "./build-index";
import { datasetTuningData, DEFAULT_TUNE, lightGrid, tuneOnValidation } from "./tune-on-validation";

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
});
