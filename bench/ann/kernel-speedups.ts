import { loadNodeKernel } from "../../index-builder/src/ann/node-kernel";
import { referenceKernel } from "../../shared/ann/kernel/reference-kernel";
import { type ScanKernel } from "../../shared/ann/kernel/scan-kernel";
import { type IvfPqIndex } from "../../shared/ann/ivfpq-index";
import { searchIvfPq } from "../../shared/ann/ivfpq-search";
import { sq8QueryTerms } from "../../shared/ann/sq8";
import { type AnnDataset } from "./datasets";
import { medianMs } from "./measure";

/**
 * How much faster the WASM SIMD kernel is than the scalar TypeScript
 * reference, per step and end to end, on real lists of the index. WASM
 * timings include copying inputs into its memory and results out.
 */
export function kernelSpeedups(index: IvfPqIndex, ds: AnnDataset, _truth: Uint32Array, log: (line: string) => void): Record<string, number> {
  const wasm = loadNodeKernel();
  const { m, dims } = index.params;
  const q = ds.queries.subarray(0, dims);
  const big = [...index.lists].sort((a, b) => b.ids.length - a.ids.length).slice(0, 32);
  const codes = concat(big.map((l) => l.codes));
  const sq8 = concat(big.map((l) => l.sq8!)).subarray(0, 1000 * dims);
  const rows = ds.base.subarray(0, 65_536 * dims);
  const tables = new Float32Array(m * 256);
  referenceKernel.distanceTables("ip", q, index.codebooksT, m, 256, tables);
  const terms = sq8QueryTerms("ip", q, index.sq8!);
  const steps: Record<string, (k: ScanKernel) => void> = {
    distance_tables: (k) => k.distanceTables("ip", q, index.codebooksT, m, 256, new Float32Array(m * 256)),
    scan_codes: (k) => k.scanCodes(codes, m, tables, 0, new Float32Array(codes.length / m)),
    top_k: (k) => {
      const scores = new Float32Array(codes.length / m);
      referenceKernel.scanCodes(codes, m, tables, 0, scores);
      const top = k.topK(1000);
      top.push(scores, Uint32Array.from(scores, (_, i) => i));
      top.drain();
    },
    sq8_rescore: (k) => k.sq8Scores("ip", sq8, dims, terms.a, terms.b, terms.c0, new Float32Array(1000)),
    score_rows: (k) => k.scoreRows("ip", rows, dims, q, new Float32Array(65_536)),
    search_nprobe32_shortlist1000: (k) => {
      for (let i = 0; i < 20; i++) searchIvfPq(k, index, (l) => index.lists[l]!, ds.queries.subarray(i * dims, (i + 1) * dims), { k: 100, nprobe: 32, shortlist: 1000 });
    },
  };
  const out: Record<string, number> = {};
  for (const [name, step] of Object.entries(steps)) {
    for (let i = 0; i < 3; i++) {
      step(wasm);
      step(referenceKernel);
    }
    const speedup = medianMs(15, () => step(referenceKernel)) / medianMs(15, () => step(wasm));
    out[name] = speedup;
    log(`  kernel ${name}: WASM SIMD ${speedup.toFixed(2)}x the TypeScript reference`);
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
