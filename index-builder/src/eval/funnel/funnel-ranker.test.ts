import { describe, expect, it } from "vitest";
import { FEATURE_COUNT } from "../../../../shared/ranking/features";
import { selectGroups } from "../../ranker/train-mlp";
import { concatRankerRows, type FunnelRankerRows } from "./funnel-ranker";

function rows(sizes: number[], users: number[], seed: number): FunnelRankerRows {
  const total = sizes.reduce((a, b) => a + b, 0);
  const groupStart = [0];
  for (const n of sizes) groupStart.push(groupStart.at(-1)! + n);
  return {
    features: Float32Array.from({ length: total * FEATURE_COUNT }, (_, i) => seed * 1000 + i),
    labels: Uint8Array.from({ length: total }, (_, i) => (i + seed) % 2),
    groupStart: Uint32Array.from(groupStart),
    users,
  };
}

describe("concatRankerRows", () => {
  it("keeps every group's rows, labels and user, in order", () => {
    const a = rows([3, 1], [5, 9], 1);
    const b = rows([2, 4, 1], [5, 7, 9], 2);
    const all = concatRankerRows([a, b]);
    expect(all.users).toEqual([5, 9, 5, 7, 9]);
    expect(Array.from(all.groupStart)).toEqual([0, 3, 4, 6, 10, 11]);
    const same = (x: ReturnType<typeof selectGroups>, y: ReturnType<typeof selectGroups>) => {
      expect(x.features).toEqual(y.features);
      expect(x.labels).toEqual(y.labels);
    };
    same(selectGroups(all, [1], FEATURE_COUNT), selectGroups(a, [1], FEATURE_COUNT));
    same(selectGroups(all, [2, 4], FEATURE_COUNT), selectGroups(b, [0, 2], FEATURE_COUNT));
  });
});
