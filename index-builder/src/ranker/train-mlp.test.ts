import { describe, expect, it } from "vitest";
import { mlpScore } from "../../../shared/ranking/mlp";
import { mulberry32 } from "../train/seeded-random";
import { rankingQuality } from "./ranking-quality";
import { trainMlp } from "./train-mlp";

/** 60 groups of 20 rows, 4 features: column 0 carries the signal (nonlinearly), column 2 is constant. */
function synthetic(seed: number) {
  const next = mulberry32(seed);
  const groups = 60;
  const per = 20;
  const inputs = 4;
  const n = groups * per;
  const features = new Float32Array(n * inputs);
  const labels = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const x = next() * 4 - 2;
    features.set([x, next(), 5, next() * 10], r * inputs);
    labels[r] = Math.abs(x) > 1.5 && next() < 0.9 ? 1 : 0;
  }
  const groupStart = Uint32Array.from({ length: groups + 1 }, (_, g) => g * per);
  return { features, labels, groupStart, inputs, n, heldOut: new Uint32Array(groups).fill(per) };
}

describe("trainMlp", () => {
  for (const loss of ["pointwise", "listwise"] as const) {
    it(`learns a nonlinear signal with the ${loss} loss; its loss falls`, () => {
      const data = synthetic(1);
      const { model, report } = trainMlp(data, data.inputs, {
        hidden: [8],
        loss,
        epochs: 12,
        batchSize: loss === "listwise" ? 4 : 32,
        learningRate: 0.02,
        l2: 0,
        seed: 3,
      });
      expect(report.epochLoss.at(-1)!).toBeLessThan(report.epochLoss[0]!);
      const quality = rankingQuality(mlpScore(model, data.features, data.n), data.labels, data.groupStart, data.heldOut);
      expect(quality.auc).toBeGreaterThan(0.85);
    });
  }

  it("gives a constant column zero weights and is reproducible", () => {
    const data = synthetic(2);
    const options = { hidden: [4], loss: "listwise" as const, epochs: 2, batchSize: 4, learningRate: 0.01, l2: 0, seed: 9 };
    const { model, report } = trainMlp(data, data.inputs, options);
    expect(report.constantFeatures).toEqual([2]);
    const first = model.layers[0]!;
    for (let o = 0; o < first.outputs; o++) expect(first.weights[o * first.inputs + 2]).toBe(0);
    expect(trainMlp(data, data.inputs, options).model).toEqual(model);
  });
});
