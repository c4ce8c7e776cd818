import { describe, expect, it } from "vitest";
import { foldInUser, type FoldInModel } from "./fold-in";

/** The serving path folds in from just the history's rows; it must equal the full model. */
describe("fold-in over a compact model", () => {
  it("equals the full-model fold-in when itemCount is given, also with frequency-scaled regularization", () => {
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
    const d = 8;
    const n = 300;
    const itemVectors = Float32Array.from({ length: n * d }, rand);
    const gram = new Float64Array(d * d);
    for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) gram[a * d + b]! += itemVectors[i * d + a]! * itemVectors[i * d + b]!;
    for (const regExponent of [0, 1]) {
      const full: FoldInModel = { dims: d, itemVectors, gram, params: { alpha: 2, regularization: 0.01, regExponent } };
      const history = [
        { item: 17, weight: 3 },
        { item: 250, weight: 1 },
        { item: 3, weight: -4 },
      ];
      const expected = foldInUser(full, history)!;
      const compactVectors = new Float32Array(history.length * d);
      history.forEach((h, i) => compactVectors.set(itemVectors.subarray(h.item * d, (h.item + 1) * d), i * d));
      const compact = foldInUser(
        { ...full, itemVectors: compactVectors, itemCount: n },
        history.map((h, i) => ({ item: i, weight: h.weight })),
      )!;
      for (let k = 0; k < d; k++) expect(compact[k]).toBeCloseTo(expected[k]!, 5);
      if (regExponent === 1) {
        const wrong = foldInUser(
          { ...full, itemVectors: compactVectors },
          history.map((h, i) => ({ item: i, weight: h.weight })),
        )!;
        expect(Math.max(...Array.from(wrong, (v, k) => Math.abs(v - expected[k]!)))).toBeGreaterThan(1e-4);
      }
    }
  });
});
