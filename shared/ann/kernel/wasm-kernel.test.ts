import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { KERNEL_WASM_PATH, loadNodeKernel } from "../../../index-builder/src/ann/node-kernel";
import { createWasmKernel, KERNEL_IMPORTS } from "./wasm-kernel";
import { type Metric } from "../metric";
import { packPq4, quantizeTables } from "../pq4";
import { SeededRandom } from "../../seeded-random";
import { referenceKernel } from "./reference-kernel";

const random = new SeededRandom(2024);
const gaussians = (n: number) => Float32Array.from({ length: n }, () => random.gaussian());
const bytes = (n: number) => Uint8Array.from({ length: n }, () => random.int(256));
const wasm = loadNodeKernel();
const ref = referenceKernel;

function expectClose(actual: Float32Array, expected: Float32Array, relative = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(relative * Math.max(1, Math.abs(expected[i]!)));
  }
}

describe("WASM SIMD scan kernel equals the TypeScript reference on random inputs", () => {
  for (const metric of ["ip", "l2"] as Metric[]) {
    it(`scores rows (${metric}), odd dims included`, () => {
      for (const dims of [64, 37, 3]) {
        const rows = gaussians(101 * dims);
        const q = gaussians(dims);
        const [a, b] = [new Float32Array(101), new Float32Array(101)];
        wasm.scoreRows(metric, rows, dims, q, a);
        ref.scoreRows(metric, rows, dims, q, b);
        expectClose(a, b);
      }
    });

    it(`builds PQ distance tables (${metric})`, () => {
      for (const [m, dsub] of [
        [16, 4],
        [8, 8],
        [32, 2],
      ] as const) {
        const cbT = gaussians(m * dsub * 256);
        const q = gaussians(m * dsub);
        const [a, b] = [new Float32Array(m * 256), new Float32Array(m * 256)];
        wasm.distanceTables(metric, q, cbT, m, 256, a);
        ref.distanceTables(metric, q, cbT, m, 256, b);
        expectClose(a, b);
      }
    });

    it(`scores SQ8 codes (${metric})`, () => {
      const dims = 48;
      const codes = bytes(77 * dims);
      const [qa, qb] = [gaussians(dims), Float32Array.from(gaussians(dims), Math.abs)];
      const [a, b] = [new Float32Array(77), new Float32Array(77)];
      wasm.sq8Scores(metric, codes, dims, qa, qb, 0.5, a);
      ref.sq8Scores(metric, codes, dims, qa, qb, 0.5, b);
      expectClose(a, b);
    });
  }

  it("scans PQ codes for every m, multiples of 4 or not", () => {
    for (const m of [16, 32, 8, 6, 1]) {
      const codes = bytes(513 * m);
      const tables = gaussians(m * 256);
      const [a, b] = [new Float32Array(513), new Float32Array(513)];
      wasm.scanCodes(codes, m, tables, 0.25, a);
      ref.scanCodes(codes, m, tables, 0.25, b);
      expectClose(a, b);
    }
  });

  it("keeps exactly the same top-k, ties included, best first", () => {
    for (const cap of [0, 1, 10, 100, 1000]) {
      const [ta, tb] = [wasm.topK(cap), ref.topK(cap)];
      const offered: number[] = [];
      for (let batch = 0; batch < 20; batch++) {
        const n = 1 + random.int(300);
        // Rounded scores make ties common, which the admission rule must break identically.
        const scores = Float32Array.from(gaussians(n), (s) => Math.round(s * 8) / 8);
        const ids = Uint32Array.from({ length: n }, () => random.int(1 << 30));
        ta.push(scores, ids);
        tb.push(scores, ids);
        offered.push(...scores);
        expect(ta.threshold()).toBe(tb.threshold());
      }
      const kept = ta.drain();
      expect(kept).toEqual(tb.drain());
      expect(Array.from(kept.scores)).toEqual(offered.sort((x, y) => y - x).slice(0, cap));
      for (let i = 1; i < kept.ids.length; i++) {
        if (kept.scores[i] === kept.scores[i - 1]) expect(kept.ids[i]!).toBeGreaterThan(kept.ids[i - 1]!);
      }
    }
  });

  it("scans lists into a top-k through the fused list scanner as scanCodes then pushRange would", () => {
    const m = 16;
    const tables = gaussians(m * 256);
    const [ta, tb] = [wasm.topK(50), ref.topK(50)];
    const [sa, sb] = [wasm.listScanner(m), ref.listScanner(m)];
    sa.setTables(tables);
    sb.setTables(tables);
    let base = 0;
    for (const n of [0, 7, 300, 64, 1000]) {
      const codes = bytes(n * m);
      sa.scanList(codes, 0.5, base, ta);
      sb.scanList(codes, 0.5, base, tb);
      base += n;
    }
    const [a, b] = [ta.drain(), tb.drain()];
    expect(a.ids).toEqual(b.ids);
    expectClose(a.scores, b.scores);
  });

  it("assigns rows to the nearest candidate and PQ-encodes like the reference", () => {
    const dims = 32;
    const rows = gaussians(300 * dims);
    const cands = gaussians(50 * dims);
    for (const metric of ["ip", "l2"] as Metric[]) {
      const [ia, ib] = [new Uint32Array(300), new Uint32Array(300)];
      const [sa, sb] = [new Float32Array(300), new Float32Array(300)];
      wasm.assign(metric, rows, dims, cands, ia, sa);
      ref.assign(metric, rows, dims, cands, ib, sb);
      expectClose(sa, sb);
      expect(ia).toEqual(ib);
    }

    const cbT = gaussians(dims * 256);
    const [ca, cb] = [new Uint8Array(300 * 8), new Uint8Array(300 * 8)];
    wasm.pqEncode(rows, 8, 256, cbT, ca);
    ref.pqEncode(rows, 8, 256, cbT, cb);
    expect(ca).toEqual(cb);
    const cbT16 = gaussians(dims * 16);
    wasm.pqEncode(rows, 8, 16, cbT16, ca);
    ref.pqEncode(rows, 8, 16, cbT16, cb);
    expect(ca).toEqual(cb);
  });

  it("scans 4-bit fast-scan blocks exactly as the reference, partial last blocks included", () => {
    for (const m of [2, 16, 32]) {
      const tables = gaussians(m * 16);
      const { lut8, scale, offset } = quantizeTables(tables, m);
      const [ta, tb] = [wasm.topK(40), ref.topK(40)];
      const [sa, sb] = [wasm.pq4Scanner(m), ref.pq4Scanner(m)];
      sa.setTables(lut8, scale, offset);
      sb.setTables(lut8, scale, offset);
      let base = 0;
      for (const n of [0, 1, 15, 16, 17, 300]) {
        const packed = packPq4(
          Uint8Array.from({ length: n * m }, () => random.int(16)),
          m,
        );
        sa.scanList(packed, n, 0.25, base, ta);
        sb.scanList(packed, n, 0.25, base, tb);
        base += n;
      }
      const [a, b] = [ta.drain(), tb.drain()];
      expect(a.ids).toEqual(b.ids);
      expectClose(a.scores, b.scores);
    }
  });

  it("stays correct after its memory grows past the views it made before", () => {
    const kernel = loadNodeKernel();
    const small = gaussians(16);
    const out = new Float32Array(1);
    kernel.scoreRows("ip", small, 16, small, out);
    const before = out[0];
    const big = gaussians(1_000_000);
    kernel.pin(big);
    const top = kernel.topK(5);
    const scores = new Float32Array(62_500);
    kernel.scoreRows("ip", big, 16, small, scores);
    top.push(
      scores,
      Uint32Array.from(scores, (_, i) => i),
    );
    kernel.scoreRows("ip", small, 16, small, out);
    expect(out[0]).toBe(before);
    const expected = new Float32Array(62_500);
    ref.scoreRows("ip", big, 16, small, expected);
    expect(top.drain().ids[0]).toBe(expected.indexOf(Math.max(...expected)));
  });

  it("refuses to grow its memory past the bound it was given, and keeps serving calls that fit", () => {
    const bounded = createWasmKernel(new WebAssembly.Instance(new WebAssembly.Module(readFileSync(KERNEL_WASM_PATH)), KERNEL_IMPORTS), {
      maxMemoryBytes: 1024 * 1024,
    });
    const small = gaussians(16);
    const out = new Float32Array(1);
    bounded.scoreRows("ip", small, 16, small, out);
    const fits = out[0];
    const big = gaussians(16 * 20_000);
    expect(() => bounded.scoreRows("ip", big, 16, small, new Float32Array(20_000))).toThrow(/past its bound/);
    bounded.scoreRows("ip", small, 16, small, out);
    expect(out[0]).toBe(fits);
  });
});
