/**
 * 4-bit PQ codes in the kernel's fast-scan layout: blocks of 16 vectors; in
 * a block, for each pair of sub-quantizers (2p, 2p+1), 16 bytes with byte j
 * = code_2p(j) | code_2p+1(j) << 4. A list of n vectors takes
 * ceil(n/16) * 8m bytes; the padding of its last block holds zeros.
 */
export const PQ4_BLOCK = 16;

export function pq4Bytes(n: number, m: number): number {
  return Math.ceil(n / PQ4_BLOCK) * 8 * m;
}

/** Packs codes (size n*m, one code < 16 per byte, row-major) into the block layout. */
export function packPq4(codes: Uint8Array, m: number): Uint8Array {
  const n = codes.length / m;
  const out = new Uint8Array(pq4Bytes(n, m));
  for (let i = 0; i < n; i++) {
    const block = Math.floor(i / PQ4_BLOCK) * 8 * m;
    const j = i % PQ4_BLOCK;
    for (let s = 0; s < m; s += 2) {
      out[block + (s / 2) * PQ4_BLOCK + j] = codes[i * m + s]! | (codes[i * m + s + 1]! << 4);
    }
  }
  return out;
}

/** Code of sub-quantizer s of vector i in a packed list. */
export function pq4CodeAt(packed: Uint8Array, m: number, i: number, s: number): number {
  const byte = packed[Math.floor(i / PQ4_BLOCK) * 8 * m + (s >> 1) * PQ4_BLOCK + (i % PQ4_BLOCK)]!;
  return s % 2 === 0 ? byte & 15 : byte >> 4;
}

/**
 * Quantizes f32 distance tables (size m*16, layout (m, 16)) to u8 with one
 * scale for all sub-quantizers and a per-sub-quantizer minimum (faiss's
 * quantize_LUT): table[s][c] ~ min_s + scale * lut8[s][c]. A vector's score
 * is then ~ sum_s min_s + scale * sum_s lut8[s][code_s].
 */
export function quantizeTables(tables: Float32Array, m: number): { lut8: Uint8Array; scale: number; offset: number } {
  const mins = new Float32Array(m);
  let widest = 0;
  let offset = 0;
  for (let s = 0; s < m; s++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let c = 0; c < 16; c++) {
      lo = Math.min(lo, tables[s * 16 + c]!);
      hi = Math.max(hi, tables[s * 16 + c]!);
    }
    mins[s] = lo;
    offset += lo;
    widest = Math.max(widest, hi - lo);
  }
  const scale = widest > 0 ? widest / 255 : 1;
  const lut8 = new Uint8Array(m * 16);
  for (let s = 0; s < m; s++) {
    for (let c = 0; c < 16; c++) lut8[s * 16 + c] = Math.min(255, Math.round((tables[s * 16 + c]! - mins[s]!) / scale));
  }
  return { lut8, scale: Math.fround(scale), offset: Math.fround(offset) };
}
