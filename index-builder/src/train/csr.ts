/**
 * Compressed sparse rows. Row r's entries are indices[indptr[r]..indptr[r+1])
 * with values at the same positions, columns ascending within a row.
 */
export interface Csr {
  rows: number;
  cols: number;
  /** Size rows+1. */
  indptr: Uint32Array;
  /** Size nnz: column of each entry. */
  indices: Uint32Array;
  /** Size nnz. */
  values: Float32Array;
}

/**
 * Builds a CSR matrix from coordinates. Duplicate (row, col) pairs are summed,
 * so repeated events on one item add up to one entry.
 */
export function csrFromCoo(rows: number, cols: number, r: Uint32Array, c: Uint32Array, v: Float32Array): Csr {
  const count = new Uint32Array(rows + 1);
  for (let k = 0; k < r.length; k++) count[(r[k] ?? 0) + 1]!++;
  for (let i = 0; i < rows; i++) count[i + 1]! += count[i]!;
  const order = new Uint32Array(r.length);
  const next = count.slice(0, rows);
  for (let k = 0; k < r.length; k++) order[next[r[k]!]!++] = k;
  const indptr = new Uint32Array(rows + 1);
  const indices = new Uint32Array(r.length);
  const values = new Float32Array(r.length);
  let nnz = 0;
  for (let i = 0; i < rows; i++) {
    const start = count[i]!;
    const end = count[i + 1]!;
    const entries = Array.from(order.subarray(start, end)).sort((a, b) => c[a]! - c[b]! || a - b);
    for (const k of entries) {
      const col = c[k]!;
      if (nnz > indptr[i]! && indices[nnz - 1] === col) values[nnz - 1]! += v[k]!;
      else {
        indices[nnz] = col;
        values[nnz] = v[k]!;
        nnz++;
      }
    }
    indptr[i + 1] = nnz;
  }
  return { rows, cols, indptr, indices: indices.slice(0, nnz), values: values.slice(0, nnz) };
}

export function transpose(m: Csr): Csr {
  const r = new Uint32Array(m.indices.length);
  for (let i = 0; i < m.rows; i++) r.fill(i, m.indptr[i]!, m.indptr[i + 1]!);
  return csrFromCoo(m.cols, m.rows, m.indices, r, m.values);
}
