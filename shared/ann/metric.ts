/**
 * How vectors are compared. Scores are always "higher is better": the inner
 * product, or the negated squared L2 distance. Cosine is inner product over
 * vectors normalized at the boundary (see `normalizeRows`).
 */
export type Metric = "ip" | "l2";

/** The metric's code in binary headers and in the kernel's calls. */
export function metricCode(metric: Metric): 0 | 1 {
  return metric === "ip" ? 0 : 1;
}

export function metricFromCode(code: number): Metric | null {
  return code === 0 ? "ip" : code === 1 ? "l2" : null;
}

/** Scales each row (size n*dims, row-major) to unit length in place; zero rows stay zero. */
export function normalizeRows(rows: Float32Array, dims: number): Float32Array {
  for (let i = 0; i < rows.length; i += dims) {
    let norm = 0;
    for (let d = 0; d < dims; d++) norm += rows[i + d]! * rows[i + d]!;
    if (norm === 0) continue;
    const inv = 1 / Math.sqrt(norm);
    for (let d = 0; d < dims; d++) rows[i + d]! *= inv;
  }
  return rows;
}

/** Cosine similarity of two vectors of equal length; 0 when either is all zeros. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let j = 0; j < a.length; j++) {
    ab += a[j]! * b[j]!;
    aa += a[j]! ** 2;
    bb += b[j]! ** 2;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}
