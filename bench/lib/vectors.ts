/** Standard deviation of each dimension across the rows of `vectors` (size n*dims, row-major); size dims. */
export function dimensionSpread(vectors: Float32Array, dims: number): Float64Array {
  const n = vectors.length / dims;
  const mean = new Float64Array(dims);
  const sq = new Float64Array(dims);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dims; d++) {
      const v = vectors[i * dims + d]!;
      mean[d]! += v;
      sq[d]! += v * v;
    }
  }
  return mean.map((m, d) => Math.sqrt(Math.max(0, sq[d]! / n - (m / n) ** 2)));
}
