/**
 * Solves A x = b in place for a symmetric positive definite A (size d*d,
 * row-major, only the lower triangle is read and it is overwritten by the
 * Cholesky factor L). On return `b` holds x. Returns false when A is not
 * positive definite (a zero or negative pivot), leaving b unspecified.
 */
export function choleskySolveInPlace(a: Float64Array, b: Float64Array, d: number): boolean {
  for (let j = 0; j < d; j++) {
    const rowJ = j * d;
    let diag = a[rowJ + j]!;
    for (let k = 0; k < j; k++) diag -= a[rowJ + k]! * a[rowJ + k]!;
    if (!(diag > 0)) return false;
    const ljj = Math.sqrt(diag);
    a[rowJ + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < d; i++) {
      const rowI = i * d;
      let s = a[rowI + j]!;
      for (let k = 0; k < j; k++) s -= a[rowI + k]! * a[rowJ + k]!;
      a[rowI + j] = s * inv;
    }
  }
  for (let i = 0; i < d; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= a[i * d + k]! * b[k]!;
    b[i] = s / a[i * d + i]!;
  }
  for (let i = d - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < d; k++) s -= a[k * d + i]! * b[k]!;
    b[i] = s / a[i * d + i]!;
  }
  return true;
}
