/**
 * The re-scoring store's quantizer: one byte per dimension, x ~ min + step*u
 * with per-dimension min and step over the whole set (faiss's
 * ScalarQuantizer QT_8bit). Keeps ~0.4% of a dimension's range as error,
 * small next to PQ's, so re-scoring a PQ shortlist recovers MIPS recall.
 */
export interface Sq8Params {
  /** Size dims. */
  min: Float32Array;
  /** Size dims; (max - min) / 255, never 0. */
  step: Float32Array;
}

export function trainSq8(rows: Float32Array, dims: number): Sq8Params {
  const min = new Float32Array(dims).fill(Infinity);
  const max = new Float32Array(dims).fill(-Infinity);
  for (let i = 0; i < rows.length; i += dims) {
    for (let d = 0; d < dims; d++) {
      const v = rows[i + d]!;
      if (v < min[d]!) min[d] = v;
      if (v > max[d]!) max[d] = v;
    }
  }
  const step = new Float32Array(dims);
  for (let d = 0; d < dims; d++) {
    if (!Number.isFinite(min[d]!)) min[d] = 0;
    step[d] = max[d]! > min[d]! ? (max[d]! - min[d]!) / 255 : 1;
  }
  return { min, step };
}

/** Codes (size n*dims) of rows (size n*dims). */
export function encodeSq8(rows: Float32Array, params: Sq8Params): Uint8Array {
  const dims = params.min.length;
  const out = new Uint8Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const d = i % dims;
    out[i] = Math.max(0, Math.min(255, Math.round((rows[i]! - params.min[d]!) / params.step[d]!)));
  }
  return out;
}

export function decodeSq8(codes: Uint8Array, params: Sq8Params): Float32Array {
  const dims = params.min.length;
  return Float32Array.from(codes, (u, i) => params.min[i % dims]! + params.step[i % dims]! * u);
}

/**
 * The kernel's re-scoring arguments for query q: for ip, score = c0 + sum a*u
 * with a = q*step and c0 = <q, min>; for l2, score = -sum (a - b*u)^2 with
 * a = q - min and b = step.
 */
export function sq8QueryTerms(metric: "ip" | "l2", q: Float32Array, params: Sq8Params): { a: Float32Array; b: Float32Array; c0: number } {
  const dims = q.length;
  const a = new Float32Array(dims);
  let c0 = 0;
  for (let d = 0; d < dims; d++) {
    if (metric === "ip") {
      a[d] = q[d]! * params.step[d]!;
      c0 += q[d]! * params.min[d]!;
    } else {
      a[d] = q[d]! - params.min[d]!;
    }
  }
  return { a, b: params.step, c0 };
}
