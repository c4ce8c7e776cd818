import { describe, expect, it } from "vitest";
import { selectRows, tableFromRows } from "../train/interaction-table";
import { datasetPresent, ML_100K_DIR } from "./dataset-paths";
import { evaluateRecommender } from "./evaluate";
import { readMl100k } from "./ml-100k";
import { msrStratifiedSplit, TEST } from "./msr-split";
import { SarRecommender } from "./sar";

const HALF_LIFE = 1000;
const HAS_ML_100K = datasetPresent(ML_100K_DIR, "u.data", "SAR on ML-100K (sar.test.ts)");

function expectClose(actual: Float64Array, expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((x, i) => expect(actual[i]).toBeCloseTo(x, 12));
}

describe("SarRecommender", () => {
  it("equals a hand-computed result on a small fixture", () => {
    const train = tableFromRows([
      { userId: "0", itemId: "0", value: 2, timestampSec: 5000 },
      { userId: "0", itemId: "1", value: 4, timestampSec: 5000 - HALF_LIFE },
      { userId: "1", itemId: "1", value: 3, timestampSec: 5000 },
      { userId: "1", itemId: "2", value: 1, timestampSec: 5000 },
      { userId: "2", itemId: "0", value: 5, timestampSec: 5000 },
    ]);
    const sar = new SarRecommender({ halfLifeSec: HALF_LIFE });
    sar.fit(train);
    // C = BᵀB: C00 = 2 (users 0 and 2), C11 = 2, C22 = 1, C01 = 1, C12 = 1, C02 = 0.
    expect(Array.from(sar.cooccurrence)).toEqual([2, 1, 0, 1, 2, 1, 0, 1, 1]);
    expect(Array.from(sar.similarity)).toEqual([1, 1 / 3, 0, 1 / 3, 1, 1 / 2, 0, 1 / 2, 1]);
    // User 0: affinity [2, 4·0.5, 0] -> scores 2·J0 + 2·J1.
    const scores = new Float64Array(3);
    sar.scoreUser(0, scores);
    expectClose(scores, [2 + 2 / 3, 2 / 3 + 2, 1]);
    sar.scoreUser(2, scores);
    expectClose(scores, [5, 5 / 3, 0]);
  });

  it.skipIf(!HAS_ML_100K)("gives the check values of BASELINES.md §A on the ML-100K split", async () => {
    const table = await readMl100k(ML_100K_DIR);
    const mask = msrStratifiedSplit(table, 0.75, 42);
    const sar = new SarRecommender();
    const result = await evaluateRecommender(sar, selectRows(table, mask, 0), selectRows(table, mask, TEST));
    const n = table.itemIds.length;
    expect(sar.cooccurrence[0]).toBe(339);
    expect(sar.similarity[0 * n + 1]).toBe(0.14698162729658792);
    const ids = (u: number) => result.lists.get(u)!.map((i) => Number(table.itemIds[i]));
    expect(ids(0)).toEqual([433, 174, 204, 423, 655, 4, 191, 70, 228, 98]);
    expect(ids(1)).toEqual([117, 100, 258, 50, 121, 9, 405, 7, 471, 286]);
    expect(ids(2)).toEqual([302, 271, 300, 313, 750, 258, 748, 301, 315, 286]);
    const scores = new Float64Array(n);
    sar.scoreUser(0, scores);
    expect(scores[432]).toBeCloseTo(2.838837, 6);
    expect(result.metrics.map).toBeCloseTo(0.114038, 6);
    expect(result.metrics.ndcgAtK).toBeCloseTo(0.393819, 6);
    expect(result.metrics.precisionAtK).toBeCloseTo(0.340615, 6);
    expect(result.metrics.recallAtK).toBeCloseTo(0.185377, 6);
  });
});
