import { loadNodeKernel } from "../../index-builder/src/ann/node-kernel";
import { referenceKernel } from "../../shared/ann/kernel/reference-kernel";
import { type ScanKernel } from "../../shared/ann/kernel/scan-kernel";
import { type IvfPqIndex } from "../../shared/ann/ivfpq-index";
import { searchIvfPq } from "../../shared/ann/ivfpq-search";
import { quantizeTables } from "../../shared/ann/pq4";
import { ksubOf } from "../../shared/ann/product-quantizer";
import { sq8QueryTerms } from "../../shared/ann/sq8";
import { type AnnDataset } from "./datasets";
import { medianMs } from "./measure";

/**
 * How much faster the WASM SIMD kernel is than the scalar TypeScript
 * reference, per step and end to end, on real lists of the index (its 32
 * largest for the list scan). WASM timings include copying inputs into its
 * memory and results out: nothing is pinned here.
 */
export function kernelSpeedups(index: IvfPqIndex, ds: AnnDataset, log: (line: string) => void): Record<string, number> {
  const wasm = loadNodeKernel();
  const { m, dims, nbits } = index.params;
  const ksub = ksubOf(nbits);
  const q = ds.queries.subarray(0, dims);
  const big = [...index.lists].sort((a, b) => b.ids.length - a.ids.length).slice(0, 32);
  const sq8 = concat(big.map((l) => l.sq8!)).subarray(0, 1000 * dims);
  const rows = ds.base.subarray(0, 65_536 * dims);
  const tables = new Float32Array(m * ksub);
  referenceKernel.distanceTables("ip", q, index.codebooksT, m, ksub, tables);
  const quantized = quantizeTables(tables, m);
  const scores = Float32Array.from({ length: 100_000 }, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1);
  const terms = sq8QueryTerms("ip", q, index.sq8!);
  const scanAll = (k: ScanKernel) => {
    const top = k.topK(1000);
    let base = 0;
    if (nbits === 8) {
      const scanner = k.listScanner(m);
      scanner.setTables(tables);
      for (const list of big) {
        scanner.scanList(list.codes, 0, base, top);
        base += list.ids.length;
      }
    } else {
      const scanner = k.pq4Scanner(m);
      scanner.setTables(quantized.lut8, quantized.scale, quantized.offset);
      for (const list of big) {
        scanner.scanList(list.codes, list.ids.length, 0, base, top);
        base += list.ids.length;
      }
    }
    top.drain();
  };
  const steps: Record<string, (k: ScanKernel) => void> = {
    distance_tables: (k) => k.distanceTables("ip", q, index.codebooksT, m, ksub, new Float32Array(m * ksub)),
    [`list_scan_pq${nbits}_top1000`]: scanAll,
    top_k: (k) => {
      const top = k.topK(1000);
      top.pushRange(scores, 0);
      top.drain();
    },
    sq8_rescore: (k) => k.sq8Scores("ip", sq8, dims, terms.a, terms.b, terms.c0, new Float32Array(1000)),
    score_rows: (k) => k.scoreRows("ip", rows, dims, q, new Float32Array(65_536)),
    search_nprobe64_shortlist1000: (k) => {
      for (let i = 0; i < 20; i++)
        searchIvfPq(k, index, (l) => index.lists[l]!, ds.queries.subarray(i * dims, (i + 1) * dims), { k: 100, nprobe: 64, shortlist: 1000 });
    },
  };
  const out: Record<string, number> = {};
  for (const [name, step] of Object.entries(steps)) {
    for (let i = 0; i < 3; i++) {
      step(wasm);
      step(referenceKernel);
    }
    const speedup = medianMs(15, () => step(referenceKernel)) / medianMs(15, () => step(wasm));
    out[`pq${nbits}:${name}`] = speedup;
    log(`  kernel (${nbits}-bit index) ${name}: WASM SIMD ${speedup.toFixed(2)}x the TypeScript reference`);
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
