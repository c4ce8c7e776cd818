// The ANN scan kernel, compiled by AssemblyScript with SIMD to one .wasm that
// Node and workerd both run unchanged (shared/ann/kernel/scan-kernel.wasm,
// built by `npm run build:wasm`). It allocates nothing: the caller lays out
// every array in linear memory and passes byte offsets. Scores are always
// "higher is better": inner product, or the negated squared L2 distance.
// shared/ann/kernel/reference-kernel.ts is the plain TypeScript oracle of
// every function here.

function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** out[i] = <rows[i], q>; rows size n*dims row-major, f32. */
export function scoreRowsIp(rows: usize, n: i32, dims: i32, q: usize, out: usize): void {
  const bytes = <usize>dims << 2;
  for (let i = 0; i < n; i++) {
    const r = rows + <usize>i * bytes;
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let d = 0;
    for (; d + 8 <= dims; d += 8) {
      const o = <usize>d << 2;
      a0 = f32x4.add(a0, f32x4.mul(v128.load(r + o), v128.load(q + o)));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(r + o, 16), v128.load(q + o, 16)));
    }
    for (; d + 4 <= dims; d += 4) {
      const o = <usize>d << 2;
      a0 = f32x4.add(a0, f32x4.mul(v128.load(r + o), v128.load(q + o)));
    }
    let s = hsum(f32x4.add(a0, a1));
    for (; d < dims; d++) s += load<f32>(r + (<usize>d << 2)) * load<f32>(q + (<usize>d << 2));
    store<f32>(out + (<usize>i << 2), s);
  }
}

/** out[i] = -||rows[i] - q||^2; rows size n*dims row-major, f32. */
export function scoreRowsL2(rows: usize, n: i32, dims: i32, q: usize, out: usize): void {
  const bytes = <usize>dims << 2;
  for (let i = 0; i < n; i++) {
    const r = rows + <usize>i * bytes;
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let d = 0;
    for (; d + 8 <= dims; d += 8) {
      const o = <usize>d << 2;
      const e0 = f32x4.sub(v128.load(r + o), v128.load(q + o));
      const e1 = f32x4.sub(v128.load(r + o, 16), v128.load(q + o, 16));
      a0 = f32x4.add(a0, f32x4.mul(e0, e0));
      a1 = f32x4.add(a1, f32x4.mul(e1, e1));
    }
    for (; d + 4 <= dims; d += 4) {
      const e = f32x4.sub(v128.load(r + (<usize>d << 2)), v128.load(q + (<usize>d << 2)));
      a0 = f32x4.add(a0, f32x4.mul(e, e));
    }
    let s = hsum(f32x4.add(a0, a1));
    for (; d < dims; d++) {
      const e = load<f32>(r + (<usize>d << 2)) - load<f32>(q + (<usize>d << 2));
      s += e * e;
    }
    store<f32>(out + (<usize>i << 2), -s);
  }
}

/**
 * PQ distance tables. `cbT` is the codebooks transposed to layout
 * (m, dsub, ksub) so that four codewords are scored per SIMD lane group with
 * no horizontal sums; q has m*dsub floats; out has layout (m, ksub).
 * metric 0: inner product, 1: negated squared L2. ksub is a multiple of 4.
 */
export function distanceTables(metric: i32, q: usize, cbT: usize, m: i32, dsub: i32, ksub: i32, out: usize): void {
  for (let s = 0; s < m; s++) {
    const base = cbT + (<usize>(s * dsub * ksub) << 2);
    const o = out + (<usize>(s * ksub) << 2);
    for (let j = 0; j < ksub; j += 4) {
      let acc = f32x4.splat(0);
      for (let d = 0; d < dsub; d++) {
        const qd = f32x4.splat(load<f32>(q + (<usize>(s * dsub + d) << 2)));
        const c = v128.load(base + (<usize>(d * ksub + j) << 2));
        if (metric == 0) {
          acc = f32x4.add(acc, f32x4.mul(qd, c));
        } else {
          const e = f32x4.sub(qd, c);
          acc = f32x4.sub(acc, f32x4.mul(e, e));
        }
      }
      v128.store(o + (<usize>j << 2), acc);
    }
  }
}

/**
 * PQ list scan: out[i] = bias + sum_s tables[s*ksub + codes[i*m + s]], with
 * 8-bit codes (ksub 256), codes size n*m row-major. The table lookups have no
 * SIMD form, so the loop is built for instruction-level parallelism instead:
 * two codes at a time, four sub-quantizers per 32-bit load, eight independent
 * accumulators so that float additions do not wait on one another.
 */
export function scanCodes(codes: usize, n: i32, m: i32, tables: usize, bias: f32, out: usize): void {
  const m4 = m & ~3;
  const stride = <usize>m;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const c = codes + <usize>i * stride;
    let a0: f32 = bias;
    let a1: f32 = 0;
    let a2: f32 = 0;
    let a3: f32 = 0;
    let b0: f32 = bias;
    let b1: f32 = 0;
    let b2: f32 = 0;
    let b3: f32 = 0;
    let s = 0;
    for (; s < m4; s += 4) {
      const w = load<u32>(c + <usize>s);
      const v = load<u32>(c + stride + <usize>s);
      const t = tables + (<usize>s << 10);
      a0 += load<f32>(t + (<usize>(w & 255) << 2));
      b0 += load<f32>(t + (<usize>(v & 255) << 2));
      a1 += load<f32>(t + 1024 + (<usize>((w >> 8) & 255) << 2));
      b1 += load<f32>(t + 1024 + (<usize>((v >> 8) & 255) << 2));
      a2 += load<f32>(t + 2048 + (<usize>((w >> 16) & 255) << 2));
      b2 += load<f32>(t + 2048 + (<usize>((v >> 16) & 255) << 2));
      a3 += load<f32>(t + 3072 + (<usize>(w >> 24) << 2));
      b3 += load<f32>(t + 3072 + (<usize>(v >> 24) << 2));
    }
    for (; s < m; s++) {
      const t = tables + (<usize>s << 10);
      a0 += load<f32>(t + (<usize>load<u8>(c + <usize>s) << 2));
      b0 += load<f32>(t + (<usize>load<u8>(c + stride + <usize>s) << 2));
    }
    store<f32>(out + (<usize>i << 2), (a0 + a1) + (a2 + a3));
    store<f32>(out + (<usize>(i + 1) << 2), (b0 + b1) + (b2 + b3));
  }
  for (; i < n; i++) {
    const c = codes + <usize>i * stride;
    let a0: f32 = bias;
    for (let s = 0; s < m; s++) a0 += load<f32>(tables + (<usize>s << 10) + (<usize>load<u8>(c + <usize>s) << 2));
    store<f32>(out + (<usize>i << 2), a0);
  }
}

function siftDown(hs: usize, hi: usize, size: i32): void {
  let i = 0;
  const score = load<f32>(hs);
  const id = load<u32>(hi);
  while (true) {
    const l = 2 * i + 1;
    if (l >= size) break;
    const r = l + 1;
    let c = l;
    if (r < size && load<f32>(hs + (<usize>r << 2)) < load<f32>(hs + (<usize>l << 2))) c = r;
    const cs = load<f32>(hs + (<usize>c << 2));
    if (cs >= score) break;
    store<f32>(hs + (<usize>i << 2), cs);
    store<u32>(hi + (<usize>i << 2), load<u32>(hi + (<usize>c << 2)));
    i = c;
  }
  store<f32>(hs + (<usize>i << 2), score);
  store<u32>(hi + (<usize>i << 2), id);
}

function pushOne(hs: usize, hi: usize, size: i32, score: f32, id: u32): void {
  let i = size;
  while (i > 0) {
    const p = (i - 1) >> 1;
    const ps = load<f32>(hs + (<usize>p << 2));
    if (ps <= score) break;
    store<f32>(hs + (<usize>i << 2), ps);
    store<u32>(hi + (<usize>i << 2), load<u32>(hi + (<usize>p << 2)));
    i = p;
  }
  store<f32>(hs + (<usize>i << 2), score);
  store<u32>(hi + (<usize>i << 2), id);
}

/**
 * Top-k: offers n (score, id) pairs to a bounded min-heap (root = weakest
 * kept score) of capacity cap holding `size` entries; returns the new size.
 * Once full, four scores at a time are compared with the root in one SIMD
 * test, so most of a long list is rejected without touching the heap.
 * A score ties the root only if strictly greater, as in the reference.
 */
export function topkPush(scores: usize, ids: usize, n: i32, hs: usize, hi: usize, size: i32, cap: i32): i32 {
  let i = 0;
  while (i < n && size < cap) {
    pushOne(hs, hi, size, load<f32>(scores + (<usize>i << 2)), load<u32>(ids + (<usize>i << 2)));
    size++;
    i++;
  }
  if (cap == 0) return size;
  while (i < n) {
    if (i + 4 <= n) {
      const v = v128.load(scores + (<usize>i << 2));
      if (!v128.any_true(f32x4.gt(v, f32x4.splat(load<f32>(hs))))) {
        i += 4;
        continue;
      }
    }
    const s = load<f32>(scores + (<usize>i << 2));
    if (s > load<f32>(hs)) {
      store<f32>(hs, s);
      store<u32>(hi, load<u32>(ids + (<usize>i << 2)));
      siftDown(hs, hi, size);
    }
    i++;
  }
  return size;
}

/**
 * Top-k with implicit ids: as topkPush, with id idBase + i for scores[i], so
 * that a list scan need not materialize its candidate handles.
 */
export function topkPushRange(scores: usize, idBase: u32, n: i32, hs: usize, hi: usize, size: i32, cap: i32): i32 {
  let i = 0;
  while (i < n && size < cap) {
    pushOne(hs, hi, size, load<f32>(scores + (<usize>i << 2)), idBase + <u32>i);
    size++;
    i++;
  }
  if (cap == 0) return size;
  while (i < n) {
    if (i + 4 <= n) {
      const v = v128.load(scores + (<usize>i << 2));
      if (!v128.any_true(f32x4.gt(v, f32x4.splat(load<f32>(hs))))) {
        i += 4;
        continue;
      }
    }
    const s = load<f32>(scores + (<usize>i << 2));
    if (s > load<f32>(hs)) {
      store<f32>(hs, s);
      store<u32>(hi, idBase + <u32>i);
      siftDown(hs, hi, size);
    }
    i++;
  }
  return size;
}

/**
 * Re-scoring against SQ8 codes (one byte per dimension, codes size n*dims,
 * dims a multiple of 16). metric 0: out[i] = c0 + sum_d a[d] * u[i,d] with
 * a = q * step; metric 1: out[i] = -sum_d (a[d] - b[d] * u[i,d])^2 with
 * a = q - min, b = step.
 */
export function sq8Scores(metric: i32, codes: usize, n: i32, dims: i32, a: usize, b: usize, c0: f32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const c = codes + <usize>i * <usize>dims;
    let acc = f32x4.splat(0);
    for (let d = 0; d < dims; d += 16) {
      const u8s = v128.load(c + <usize>d);
      const lo = i16x8.extend_low_i8x16_u(u8s);
      const hi = i16x8.extend_high_i8x16_u(u8s);
      const u0 = f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo));
      const u1 = f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo));
      const u2 = f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi));
      const u3 = f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi));
      const o = <usize>d << 2;
      if (metric == 0) {
        acc = f32x4.add(acc, f32x4.mul(v128.load(a + o), u0));
        acc = f32x4.add(acc, f32x4.mul(v128.load(a + o, 16), u1));
        acc = f32x4.add(acc, f32x4.mul(v128.load(a + o, 32), u2));
        acc = f32x4.add(acc, f32x4.mul(v128.load(a + o, 48), u3));
      } else {
        const e0 = f32x4.sub(v128.load(a + o), f32x4.mul(v128.load(b + o), u0));
        const e1 = f32x4.sub(v128.load(a + o, 16), f32x4.mul(v128.load(b + o, 16), u1));
        const e2 = f32x4.sub(v128.load(a + o, 32), f32x4.mul(v128.load(b + o, 32), u2));
        const e3 = f32x4.sub(v128.load(a + o, 48), f32x4.mul(v128.load(b + o, 48), u3));
        acc = f32x4.add(acc, f32x4.add(f32x4.add(f32x4.mul(e0, e0), f32x4.mul(e1, e1)), f32x4.add(f32x4.mul(e2, e2), f32x4.mul(e3, e3))));
      }
    }
    const s = hsum(acc);
    store<f32>(out + (<usize>i << 2), metric == 0 ? c0 + s : -s);
  }
}

/**
 * Builder helper: for each of n rows (size n*dims), the index of the best
 * scoring of `count` candidates (size count*dims) under the metric (0 inner
 * product, 1 L2), written to outIdx (u32) with its score to outScore (f32).
 * `scratch` holds count floats.
 */
export function assign(metric: i32, rows: usize, n: i32, dims: i32, cands: usize, count: i32, scratch: usize, outIdx: usize, outScore: usize): void {
  const bytes = <usize>dims << 2;
  for (let i = 0; i < n; i++) {
    const r = rows + <usize>i * bytes;
    if (metric == 0) scoreRowsIp(cands, count, dims, r, scratch);
    else scoreRowsL2(cands, count, dims, r, scratch);
    let best = 0;
    let bestScore = load<f32>(scratch);
    for (let j = 1; j < count; j++) {
      const s = load<f32>(scratch + (<usize>j << 2));
      if (s > bestScore) {
        bestScore = s;
        best = j;
      }
    }
    store<u32>(outIdx + (<usize>i << 2), best);
    store<f32>(outScore + (<usize>i << 2), bestScore);
  }
}

/**
 * Builder helper: PQ encoding of n rows (size n*m*dsub) against transposed
 * codebooks cbT (layout (m, dsub, ksub)); codes size n*m, one byte per code.
 * `scratch` holds m*ksub floats.
 */
export function pqEncode(rows: usize, n: i32, m: i32, dsub: i32, ksub: i32, cbT: usize, scratch: usize, outCodes: usize): void {
  const bytes = <usize>(m * dsub) << 2;
  for (let i = 0; i < n; i++) {
    distanceTables(1, rows + <usize>i * bytes, cbT, m, dsub, ksub, scratch);
    for (let s = 0; s < m; s++) {
      const t = scratch + (<usize>(s * ksub) << 2);
      let best = 0;
      let bestScore = load<f32>(t);
      for (let j = 1; j < ksub; j++) {
        const v = load<f32>(t + (<usize>j << 2));
        if (v > bestScore) {
          bestScore = v;
          best = j;
        }
      }
      store<u8>(outCodes + <usize>i * <usize>m + <usize>s, <u8>best);
    }
  }
}

/**
 * 4-bit PQ "fast scan" (André, Kermarrec and Le Scouarnec, "Cache locality
 * is not enough", VLDB 2015; faiss's IndexIVFPQFastScan): codes are stored
 * in blocks of 16 vectors, and for each pair of sub-quantizers (2p, 2p+1) a
 * block holds 16 bytes, byte j = code_2p(j) | code_2p+1(j) << 4. The
 * distance tables are quantized to u8 (lut8, layout (m, 16)), so one
 * i8x16.swizzle looks up one sub-quantizer for 16 vectors at once; sums
 * accumulate in u16 (m <= 256 keeps them exact). Scores are written as f32,
 * offset + scale * sum, for n vectors (the padding of the last block is not
 * written); then offered to the top-k with ids idBase + i. m is even.
 */
export function scanPq4(codes: usize, n: i32, m: i32, lut8: usize, scale: f32, offset: f32, idBase: u32, scratch: usize, hs: usize, hi: usize, size: i32, cap: i32): i32 {
  const blocks = (n + 15) >> 4;
  const pairs = m >> 1;
  const nibble = i8x16.splat(15);
  const lowByte = i16x8.splat(255);
  const vScale = f32x4.splat(scale);
  const vOffset = f32x4.splat(offset);
  for (let b = 0; b < blocks; b++) {
    const block = codes + (<usize>(b * pairs) << 4);
    let even = i16x8.splat(0);
    let odd = i16x8.splat(0);
    for (let p = 0; p < pairs; p++) {
      const packed = v128.load(block + (<usize>p << 4));
      const d0 = i8x16.swizzle(v128.load(lut8 + (<usize>p << 5)), v128.and(packed, nibble));
      const d1 = i8x16.swizzle(v128.load(lut8 + (<usize>p << 5), 16), i8x16.shr_u(packed, 4));
      even = i16x8.add(even, i16x8.add(v128.and(d0, lowByte), v128.and(d1, lowByte)));
      odd = i16x8.add(odd, i16x8.add(i16x8.shr_u(d0, 8), i16x8.shr_u(d1, 8)));
    }
    const first = v128.shuffle<u16>(even, odd, 0, 8, 1, 9, 2, 10, 3, 11);
    const second = v128.shuffle<u16>(even, odd, 4, 12, 5, 13, 6, 14, 7, 15);
    const o = scratch + (<usize>b << 6);
    v128.store(o, f32x4.add(vOffset, f32x4.mul(vScale, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(first)))));
    v128.store(o, f32x4.add(vOffset, f32x4.mul(vScale, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(first)))), 16);
    v128.store(o, f32x4.add(vOffset, f32x4.mul(vScale, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(second)))), 32);
    v128.store(o, f32x4.add(vOffset, f32x4.mul(vScale, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(second)))), 48);
  }
  return topkPushRange(scratch, idBase, n, hs, hi, size, cap);
}
