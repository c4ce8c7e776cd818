import { confidenceOf, rowRegularization, type ConfidenceParams } from "../../../shared/embeddings/fold-in";
import { type Csr, transpose } from "./csr";
import { mulberry32, normalSource } from "./seeded-random";

export interface IalsOptions extends ConfidenceParams {
  dims: number;
  /** One sweep = solve all item rows, then all user rows. */
  sweeps: number;
  /**
   * Conjugate-gradient steps per row and half-sweep, warm-started from the
   * previous vector (Takács, Pilászy, Tikk 2011, "Applications of the
   * conjugate gradient method for implicit feedback collaborative filtering").
   */
  cgSteps: number;
  seed: number;
  /** Standard deviation of the Gaussian initialisation. */
  initScale: number;
}

export const DEFAULT_IALS: IalsOptions = {
  dims: 64,
  sweeps: 15,
  cgSteps: 3,
  seed: 42,
  initScale: 0.01,
  alpha: 10,
  regularization: 0.1,
  regExponent: 0,
};

export interface IalsFactors {
  dims: number;
  /** Size nUsers*dims, row-major. */
  userVectors: Float64Array;
  /** Size nItems*dims, row-major. */
  itemVectors: Float64Array;
}

/**
 * Implicit ALS (Hu, Koren, Volinsky 2008) on a user×item matrix of signed
 * event weights (see shared/embeddings/event-weights.ts). Each half-sweep
 * minimises the loss exactly restricted to one side's rows up to CG accuracy,
 * so the objective never rises. `onSweep` sees the factors after each sweep.
 */
export function trainImplicitAls(userItems: Csr, options: IalsOptions, onSweep?: (sweep: number, factors: IalsFactors) => void): IalsFactors {
  const d = options.dims;
  const normal = normalSource(mulberry32(options.seed));
  const init = (n: number) => {
    const v = new Float64Array(n * d);
    for (let k = 0; k < v.length; k++) v[k] = normal() * options.initScale;
    return v;
  };
  const factors: IalsFactors = { dims: d, userVectors: init(userItems.rows), itemVectors: init(userItems.cols) };
  const itemUsers = transpose(userItems);
  for (let sweep = 0; sweep < options.sweeps; sweep++) {
    solveSide(itemUsers, factors.itemVectors, factors.userVectors, d, options);
    solveSide(userItems, factors.userVectors, factors.itemVectors, d, options);
    onSweep?.(sweep, factors);
  }
  return factors;
}

/** YᵀY for Y of size n*d, row-major; result size d*d. */
export function gramMatrix(y: Float64Array | Float32Array, d: number): Float64Array {
  const g = new Float64Array(d * d);
  const n = y.length / d;
  for (let r = 0; r < n; r++) {
    const base = r * d;
    for (let i = 0; i < d; i++) {
      const yi = y[base + i]!;
      if (yi === 0) continue;
      for (let j = i; j < d; j++) g[i * d + j]! += yi * y[base + j]!;
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) g[i * d + j] = g[j * d + i]!;
  return g;
}

/**
 * Updates every row x of `target` towards argmin of
 * xᵀ(YᵀY + Yᵀ(C−I)Y + λI)x − 2xᵀYᵀCp, with Y = `other`.
 */
function solveSide(m: Csr, target: Float64Array, other: Float64Array, d: number, p: IalsOptions): void {
  const gram = gramMatrix(other, d);
  const r = new Float64Array(d);
  const dir = new Float64Array(d);
  const ad = new Float64Array(d);
  for (let row = 0; row < m.rows; row++) {
    const start = m.indptr[row]!;
    const end = m.indptr[row + 1]!;
    const lambda = rowRegularization(p, absSum(m.values, start, end), m.cols);
    const x = target.subarray(row * d, row * d + d);
    // r = b − A x
    multiplyA(m, start, end, other, gram, lambda, x, r, d, p.alpha);
    for (let i = 0; i < d; i++) r[i] = -r[i]!;
    for (let k = start; k < end; k++) {
      const { extra, preference } = confidenceOf(m.values[k]!, p.alpha);
      if (!preference) continue;
      const base = m.indices[k]! * d;
      for (let i = 0; i < d; i++) r[i]! += (1 + extra) * other[base + i]!;
    }
    dir.set(r);
    let rsOld = dot(r, r, d);
    for (let step = 0; step < p.cgSteps && rsOld > 1e-20; step++) {
      multiplyA(m, start, end, other, gram, lambda, dir, ad, d, p.alpha);
      const stepSize = rsOld / dot(dir, ad, d);
      for (let i = 0; i < d; i++) {
        x[i]! += stepSize * dir[i]!;
        r[i]! -= stepSize * ad[i]!;
      }
      const rsNew = dot(r, r, d);
      const beta = rsNew / rsOld;
      for (let i = 0; i < d; i++) dir[i] = r[i]! + beta * dir[i]!;
      rsOld = rsNew;
    }
  }
}

/** out = (G + Σ extra·y yᵀ + λI) v over the row's entries. */
function multiplyA(
  m: Csr,
  start: number,
  end: number,
  other: Float64Array,
  gram: Float64Array,
  lambda: number,
  v: Float64Array,
  out: Float64Array,
  d: number,
  alpha: number,
): void {
  for (let i = 0; i < d; i++) {
    const row = i * d;
    let s = lambda * v[i]!;
    for (let j = 0; j < d; j++) s += gram[row + j]! * v[j]!;
    out[i] = s;
  }
  const indices = m.indices;
  const values = m.values;
  for (let k = start; k < end; k++) {
    const base = indices[k]! * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += other[base + j]! * v[j]!;
    s *= alpha * Math.abs(values[k]!);
    for (let i = 0; i < d; i++) out[i]! += s * other[base + i]!;
  }
}

function dot(a: Float64Array, b: Float64Array, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * The full weighted loss Σᵤᵢ cᵤᵢ(pᵤᵢ − xᵤ·yᵢ)² + Σᵤ λᵤ|xᵤ|² + Σᵢ λᵢ|yᵢ|², with
 * the sum over all pairs taken as tr(XᵀX·YᵀY) plus corrections on observed entries.
 */
export function ialsObjective(userItems: Csr, factors: IalsFactors, p: ConfidenceParams): number {
  const d = factors.dims;
  const gx = gramMatrix(factors.userVectors, d);
  const gy = gramMatrix(factors.itemVectors, d);
  let loss = 0;
  for (let k = 0; k < d * d; k++) loss += gx[k]! * gy[k]!;
  const itemMass = new Float64Array(userItems.cols);
  for (let u = 0; u < userItems.rows; u++) {
    const start = userItems.indptr[u]!;
    const end = userItems.indptr[u + 1]!;
    for (let k = start; k < end; k++) {
      const i = userItems.indices[k]!;
      itemMass[i]! += Math.abs(userItems.values[k]!);
      let s = 0;
      for (let j = 0; j < d; j++) s += factors.userVectors[u * d + j]! * factors.itemVectors[i * d + j]!;
      const { extra, preference } = confidenceOf(userItems.values[k]!, p.alpha);
      loss += (1 + extra) * (preference - s) ** 2 - s * s;
    }
    loss += rowRegularization(p, absSum(userItems.values, start, end), userItems.cols) * squaredNorm(factors.userVectors, u, d);
  }
  for (let i = 0; i < userItems.cols; i++) loss += rowRegularization(p, itemMass[i]!, userItems.rows) * squaredNorm(factors.itemVectors, i, d);
  return loss;
}

function squaredNorm(v: Float64Array, row: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += v[row * d + j]! ** 2;
  return s;
}

function absSum(values: Float32Array, start: number, end: number): number {
  let s = 0;
  for (let k = start; k < end; k++) s += Math.abs(values[k]!);
  return s;
}
