import { type ScanKernel } from "./kernel/scan-kernel";
import { recomputeMeans, seedPlusPlus } from "./kmeans";
import { SeededRandom } from "../seeded-random";

/** Codewords per sub-quantizer for 8-bit codes. */
export const KSUB = 256;

/** Codewords per sub-quantizer for codes of `nbits` (4 or 8). */
export function ksubOf(nbits: number): number {
  return 1 << nbits;
}

/**
 * Trains m sub-quantizers of ksub codewords each (Jégou, Douze and Schmid,
 * "Product quantization for nearest neighbor search", 2011) on rows of size
 * n*dims (8-bit codes by default; 16 codewords for 4-bit). Each sub-space is seeded by k-means++; the Lloyd iterations then
 * run for all sub-spaces at once through the kernel's PQ encoder, which
 * scores four codewords per SIMD operation. Returns codebooks of size
 * m*ksub*dsub, layout (m, ksub, dsub), as faiss's ProductQuantizer::centroids.
 */
export function trainProductQuantizer(
  kernel: ScanKernel,
  rows: Float32Array,
  dims: number,
  m: number,
  options: { seed: number; iterations: number; ksub?: number; onProgress?: (done: number, total: number) => void },
): Float32Array {
  const ksub = options.ksub ?? KSUB;
  if (dims % m !== 0) throw new Error(`PQ needs dims (${dims}) divisible by m (${m})`);
  const dsub = dims / m;
  const n = rows.length / dims;
  const random = new SeededRandom(options.seed);
  const subspaces = Array.from({ length: m }, (_, s) => {
    const sub = new Float32Array(n * dsub);
    for (let i = 0; i < n; i++) sub.set(rows.subarray(i * dims + s * dsub, i * dims + (s + 1) * dsub), i * dsub);
    return sub;
  });
  const codebooks = new Float32Array(m * ksub * dsub);
  subspaces.forEach((sub, s) => codebooks.set(seedPlusPlus(kernel, sub, dsub, ksub, random), s * ksub * dsub));
  const codes = new Uint8Array(n * m);
  const assigned = new Uint32Array(n);
  const errors = new Float32Array(n);
  for (let it = 0; it < options.iterations; it++) {
    kernel.pqEncode(rows, m, ksub, transposeCodebooks(codebooks, m, ksub), codes);
    for (let s = 0; s < m; s++) {
      const sub = subspaces[s]!;
      const centroids = codebooks.subarray(s * ksub * dsub, (s + 1) * ksub * dsub);
      for (let i = 0; i < n; i++) {
        const c = codes[i * m + s]!;
        assigned[i] = c;
        let e = 0;
        for (let d = 0; d < dsub; d++) e += (sub[i * dsub + d]! - centroids[c * dsub + d]!) ** 2;
        errors[i] = -e;
      }
      recomputeMeans(sub, dsub, assigned, errors, centroids, ksub);
    }
    options.onProgress?.(it + 1, options.iterations);
  }
  return codebooks;
}

/** Codebooks in layout (m, dsub, ksub), the one the kernel scores four codewords at a time from. */
export function transposeCodebooks(codebooks: Float32Array, m: number, ksub = KSUB): Float32Array {
  const dsub = codebooks.length / (m * ksub);
  const out = new Float32Array(codebooks.length);
  for (let s = 0; s < m; s++) {
    for (let j = 0; j < ksub; j++) {
      for (let d = 0; d < dsub; d++) out[(s * dsub + d) * ksub + j] = codebooks[(s * ksub + j) * dsub + d]!;
    }
  }
  return out;
}

/** Rebuilds vectors (size n*m*dsub) from codes (size n*m, one byte each) and codebooks (layout (m, ksub, dsub)). */
export function decodeProductCodes(codes: Uint8Array, codebooks: Float32Array, m: number, ksub = KSUB): Float32Array {
  const dsub = codebooks.length / (m * ksub);
  const n = codes.length / m;
  const out = new Float32Array(n * m * dsub);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < m; s++) {
      const c = codes[i * m + s]!;
      out.set(codebooks.subarray((s * ksub + c) * dsub, (s * ksub + c + 1) * dsub), (i * m + s) * dsub);
    }
  }
  return out;
}
