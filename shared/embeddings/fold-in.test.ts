import { describe, expect, it } from "vitest";
import { choleskySolveInPlace } from "./cholesky";
import { eventWeight } from "./event-weights";
import { foldInUser, type FoldInModel } from "./fold-in";

const d = 3;
// Four items in 3 dims, row-major.
const itemVectors = Float32Array.from([1, 0, 0.5, 0, 1, 0, 0.2, 0.3, 1, -1, 0.5, 0]);
const gram = new Float64Array(d * d);
for (let r = 0; r < 4; r++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) gram[i * d + j]! += itemVectors[r * d + i]! * itemVectors[r * d + j]!;
const model: FoldInModel = { dims: d, itemVectors, gram, params: { alpha: 2, regularization: 0.1, regExponent: 0 } };

/** The gradient of the fold-in objective, which is zero at its minimum. */
function gradient(x: Float32Array, history: { item: number; weight: number }[]): number[] {
  const g = [0, 0, 0];
  const weights = new Map(history.map((h) => [h.item, h.weight]));
  for (let r = 0; r < 4; r++) {
    const y = itemVectors.subarray(r * d, r * d + d);
    const w = weights.get(r) ?? 0;
    const c = 1 + 2 * Math.abs(w);
    const p = w > 0 ? 1 : 0;
    const s = y[0]! * x[0]! + y[1]! * x[1]! + y[2]! * x[2]!;
    for (let j = 0; j < d; j++) g[j]! += c * (s - p) * y[j]!;
  }
  for (let j = 0; j < d; j++) g[j]! += 0.1 * x[j]!;
  return g;
}

describe("foldInUser", () => {
  it("finds the minimum of the weighted least-squares loss, with negatives pulled to zero", () => {
    const history = [
      { item: 0, weight: 3 },
      { item: 2, weight: 1 },
      { item: 3, weight: -4 },
    ];
    const x = foldInUser(model, history)!;
    for (const g of gradient(x, history)) expect(Math.abs(g)).toBeLessThan(1e-5);
  });

  it("sums repeated items and ignores unknown ones", () => {
    const once = foldInUser(model, [{ item: 1, weight: 3 }])!;
    const split = foldInUser(model, [
      { item: 1, weight: 1 },
      { item: 1, weight: 2 },
      { item: 99, weight: 5 },
    ])!;
    expect(Array.from(split)).toEqual(Array.from(once));
  });

  it("returns null for a cold-start user", () => {
    expect(foldInUser(model, [])).toBeNull();
    expect(foldInUser(model, [{ item: 7, weight: 1 }])).toBeNull();
  });
});

describe("choleskySolveInPlace", () => {
  it("solves a small SPD system and rejects an indefinite one", () => {
    const b = Float64Array.from([1, 2]);
    expect(choleskySolveInPlace(Float64Array.from([4, 1, 1, 3]), b, 2)).toBe(true);
    expect(b[0]).toBeCloseTo(1 / 11, 12);
    expect(b[1]).toBeCloseTo(7 / 11, 12);
    expect(choleskySolveInPlace(Float64Array.from([1, 2, 2, 1]), Float64Array.from([1, 1]), 2)).toBe(false);
  });
});

describe("eventWeight", () => {
  it("orders positive signals and keeps skip and dislike negative", () => {
    expect(eventWeight("purchase")).toBeGreaterThan(eventWeight("like"));
    expect(eventWeight("like")).toBeGreaterThan(eventWeight("click"));
    expect(eventWeight("click")).toBeGreaterThan(eventWeight("view"));
    expect(eventWeight("watch", { seconds: 1200 })).toBe(3);
    expect(eventWeight("rating", { value: 5 })).toBe(3);
    expect(eventWeight("rating", { value: 1 })).toBeLessThan(0);
    expect(eventWeight("skip")).toBeLessThan(0);
    expect(eventWeight("dislike")).toBeLessThan(eventWeight("skip"));
  });
});
