import { describe, expect, it } from "vitest";
import { rankingQuality } from "./ranking-quality";

describe("rankingQuality", () => {
  it("equals hand-computed AUC, nDCG@10 and recall", () => {
    // One group, rows ranked 0 > 1 > 2 > 3; positives are rows 1 and 3; the user held out 3 items.
    const q = rankingQuality([0.9, 0.8, 0.7, 0.1], Uint8Array.of(0, 1, 0, 1), Uint32Array.of(0, 4), Uint32Array.of(3));
    // Pairs (pos, neg): (1,0) lose, (1,2) win, (3,0) lose, (3,2) lose -> 1/4.
    expect(q.auc).toBeCloseTo(0.25, 10);
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
    const idcg = 1 + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(q.ndcgAt10).toBeCloseTo(dcg / idcg, 10);
    expect(q.recallAt10).toBeCloseTo(2 / 3, 10);
    expect(q.groups).toBe(1);
  });

  it("counts ties as half and averages over groups", () => {
    const q = rankingQuality([1, 1, 5, 0], Uint8Array.of(1, 0, 1, 0), Uint32Array.of(0, 2, 4), Uint32Array.of(1, 1));
    expect(q.auc).toBeCloseTo((0.5 + 1) / 2, 10);
    expect(q.groups).toBe(2);
  });
});
