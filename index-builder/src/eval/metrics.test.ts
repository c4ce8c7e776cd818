import { describe, expect, it } from "vitest";
import { rankingMetrics } from "./metrics";
import { topK } from "./top-k";

describe("rankingMetrics", () => {
  it("equals hand-computed MS Recommenders values at k = 3", () => {
    // User 1: hits at ranks 1 and 3 of 3 test items. User 2: one hit at rank 2 of 1.
    // User 3 has no list and user 4 no test items: neither is averaged.
    const lists = new Map([
      [1, [10, 11, 12]],
      [2, [20, 21, 22]],
      [4, [40, 41, 42]],
    ]);
    const relevant = new Map([
      [1, new Set([10, 12, 13])],
      [2, new Set([21])],
      [3, new Set([30])],
    ]);
    const m = rankingMetrics(lists, relevant, 3, 20);
    const l2 = (x: number) => Math.log2(x);
    const ndcg1 = (1 + 1 / l2(4)) / (1 + 1 / l2(3) + 1 / l2(4));
    const ndcg2 = 1 / l2(3) / 1;
    expect(m.users).toBe(2);
    expect(m.map).toBeCloseTo(((1 + 2 / 3) / 3 + 1 / 2 / 1) / 2, 12);
    expect(m.ndcgAtK).toBeCloseTo((ndcg1 + ndcg2) / 2, 12);
    expect(m.precisionAtK).toBeCloseTo((2 / 3 + 1 / 3) / 2, 12);
    expect(m.recallAtK).toBeCloseTo((2 / 3 + 1) / 2, 12);
    expect(m.coverage).toBeCloseTo(9 / 20, 12);
  });
});

describe("topK", () => {
  it("orders by score, breaks ties to the lower index and skips -Infinity", () => {
    const scores = Float64Array.from([0.5, 2, -Infinity, 2, 1, 0.5, 3]);
    expect(topK(scores, 4)).toEqual([6, 1, 3, 4]);
    expect(topK(scores, 10)).toEqual([6, 1, 3, 4, 0, 5]);
  });
});
