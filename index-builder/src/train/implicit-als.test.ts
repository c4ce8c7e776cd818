import { describe, expect, it } from "vitest";
import { foldInUser } from "../../../shared/embeddings/fold-in";
import { csrFromCoo } from "./csr";
import { gramMatrix, ialsObjective, type IalsOptions, trainImplicitAls } from "./implicit-als";
import { mulberry32 } from "./seeded-random";

/** 120 users in 4 taste groups over 80 items, with a few dislikes: structure ALS can find. */
function fixture() {
  const rand = mulberry32(7);
  const users: number[] = [];
  const items: number[] = [];
  const values: number[] = [];
  for (let u = 0; u < 120; u++) {
    const group = u % 4;
    for (let i = 0; i < 80; i++) {
      const inGroup = Math.floor(i / 20) === group;
      const r = rand();
      if ((inGroup && r < 0.35) || (!inGroup && r < 0.03)) {
        users.push(u);
        items.push(i);
        values.push(r < 0.02 ? -4 : 1 + Math.floor(r * 10));
      }
    }
  }
  return csrFromCoo(120, 80, Uint32Array.from(users), Uint32Array.from(items), Float32Array.from(values));
}

const OPTIONS: IalsOptions = { dims: 8, sweeps: 8, cgSteps: 3, seed: 1, initScale: 0.1, alpha: 2, regularization: 0.05, regExponent: 0.5 };

describe("trainImplicitAls", () => {
  it("lowers the objective every sweep", () => {
    const m = fixture();
    const losses: number[] = [];
    trainImplicitAls(m, OPTIONS, (_, f) => losses.push(ialsObjective(m, f, OPTIONS)));
    expect(losses).toHaveLength(OPTIONS.sweeps);
    for (let s = 1; s < losses.length; s++) expect(losses[s]!).toBeLessThan(losses[s - 1]!);
  });

  it("is reproducible for a seed", () => {
    const m = fixture();
    const a = trainImplicitAls(m, { ...OPTIONS, sweeps: 2 });
    const b = trainImplicitAls(m, { ...OPTIONS, sweeps: 2 });
    expect(a.userVectors).toEqual(b.userVectors);
  });

  it("gives user vectors that fold-in from the item side reproduces", () => {
    const m = fixture();
    const f = trainImplicitAls(m, { ...OPTIONS, sweeps: 12, cgSteps: 8 });
    const model = { dims: 8, itemVectors: Float32Array.from(f.itemVectors), gram: gramMatrix(f.itemVectors, 8), params: OPTIONS };
    for (const u of [0, 1, 2, 3, 57, 119]) {
      const history = [];
      for (let k = m.indptr[u]!; k < m.indptr[u + 1]!; k++) history.push({ item: m.indices[k]!, weight: m.values[k]! });
      const x = foldInUser(model, history)!;
      const trained = f.userVectors.subarray(u * 8, u * 8 + 8);
      let err = 0;
      let norm = 0;
      for (let j = 0; j < 8; j++) {
        err += (x[j]! - trained[j]!) ** 2;
        norm += trained[j]! ** 2;
      }
      expect(Math.sqrt(err / norm)).toBeLessThan(1e-3);
    }
  });
});
