import { describe, expect, it } from "vitest";
import { tableFromRows } from "../train/interaction-table";
import { mulberry32 } from "../train/seeded-random";
import { EASE_MAX_ITEMS, invertSpd } from "../train/ease";
import { EaseRecommender } from "./ease-recommender";

describe("invertSpd", () => {
  it("gives A·A⁻¹ = I for a random SPD matrix", () => {
    const n = 12;
    const rand = mulberry32(5);
    const m = Array.from({ length: n * n }, () => rand() - 0.5);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j]! += m[i * n + k]! * m[j * n + k]!;
    for (let i = 0; i < n; i++) a[i * n + i]! += 0.5;
    const inv = invertSpd(a, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * inv[k * n + j]!;
        expect(s).toBeCloseTo(i === j ? 1 : 0, 9);
      }
    }
  });
});

describe("EaseRecommender", () => {
  it("has a zero diagonal and recommends the item that co-occurs with the history", () => {
    const rows = [
      ["a", "1"],
      ["a", "2"],
      ["b", "1"],
      ["b", "2"],
      ["c", "1"],
      ["c", "3"],
      ["d", "1"],
    ].map(([userId, itemId]) => ({ userId: userId!, itemId: itemId!, value: 1, timestampSec: 0 }));
    const ease = new EaseRecommender(0.5);
    ease.fit(tableFromRows(rows));
    for (let i = 0; i < 3; i++) expect(ease.weights[i * 3 + i]).toBe(0);
    const scores = new Float64Array(3);
    ease.scoreUser(3, scores);
    expect(scores[1]).toBeGreaterThan(scores[2]!);
  });
});

describe("EaseRecommender size bound", () => {
  it("says why it skips a catalogue above EASE_MAX_ITEMS, and refuses to fit it, before allocating", () => {
    const rows = [{ userId: "u", itemId: "a", value: 1, timestampSec: 0 }];
    const big = tableFromRows(
      rows,
      Array.from({ length: EASE_MAX_ITEMS + 1 }, (_, i) => `x${i}`),
    );
    const ease = new EaseRecommender(300);
    expect(ease.skipReason(big)).toMatch(/^5002 items need two dense 5002×5002 float64 matrices \(0\.4 GiB\)/);
    expect(() => ease.fit(big)).toThrow(/EASE runs up to 5000 items/);
    expect(ease.skipReason(tableFromRows(rows, ["b"]))).toBeNull();
  });
});
