import { type Metric } from "../metric";
import { pq4CodeAt } from "../pq4";
import { type ListScanner, type Pq4Scanner, type ScanKernel, sortedPairs, type TopK } from "./scan-kernel";

/**
 * The scan kernel in plain scalar TypeScript: the oracle the WASM kernel is
 * tested against, and the baseline the benchmark measures its speed-up over.
 * Loops are written the obvious way on purpose.
 */
export const referenceKernel: ScanKernel = {
  name: "reference-ts",
  pin() {},
  scoreRows(metric, rows, dims, q, out) {
    const n = rows.length / dims;
    for (let i = 0; i < n; i++) out[i] = score(metric, rows, i * dims, q, 0, dims);
  },
  distanceTables(metric, q, cbT, m, ksub, out) {
    const dsub = q.length / m;
    for (let s = 0; s < m; s++) {
      for (let j = 0; j < ksub; j++) {
        let acc = 0;
        for (let d = 0; d < dsub; d++) {
          const c = cbT[(s * dsub + d) * ksub + j]!;
          const qd = q[s * dsub + d]!;
          acc += metric === "ip" ? qd * c : -(qd - c) * (qd - c);
        }
        out[s * ksub + j] = acc;
      }
    }
  },
  scanCodes(codes, m, tables, bias, out) {
    const n = codes.length / m;
    for (let i = 0; i < n; i++) {
      let acc = bias;
      for (let s = 0; s < m; s++) acc += tables[s * 256 + codes[i * m + s]!]!;
      out[i] = acc;
    }
  },
  topK(capacity) {
    return new ReferenceTopK(capacity);
  },
  listScanner(m) {
    let tables = new Float32Array(m * 256);
    return {
      setTables(next) {
        tables = next.slice();
      },
      scanList(codes, bias, idBase, top) {
        const scores = new Float32Array(codes.length / m);
        referenceKernel.scanCodes(codes, m, tables, bias, scores);
        top.pushRange(scores, idBase);
      },
    } satisfies ListScanner;
  },
  pq4Scanner(m) {
    let lut = new Uint8Array(m * 16);
    let scale = 1;
    let offset = 0;
    return {
      setTables(lut8, s, o) {
        [lut, scale, offset] = [lut8.slice(), s, o];
      },
      scanList(codes, n, bias, idBase, top) {
        const scores = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          let sum = 0;
          for (let s = 0; s < m; s++) sum += lut[s * 16 + pq4CodeAt(codes, m, i, s)]!;
          scores[i] = offset + bias + scale * sum;
        }
        top.pushRange(scores, idBase);
      },
    } satisfies Pq4Scanner;
  },
  sq8Scores(metric, codes, dims, a, b, c0, out) {
    const n = codes.length / dims;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let d = 0; d < dims; d++) {
        const u = codes[i * dims + d]!;
        if (metric === "ip") acc += a[d]! * u;
        else acc -= (a[d]! - b[d]! * u) ** 2;
      }
      out[i] = metric === "ip" ? c0 + acc : acc;
    }
  },
  assign(metric, rows, dims, candidates, outIdx, outScore) {
    const n = rows.length / dims;
    const count = candidates.length / dims;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestScore = -Infinity;
      for (let j = 0; j < count; j++) {
        const s = score(metric, candidates, j * dims, rows, i * dims, dims);
        if (s > bestScore) [best, bestScore] = [j, s];
      }
      outIdx[i] = best;
      outScore[i] = bestScore;
    }
  },
  pqEncode(rows, m, ksub, cbT, outCodes) {
    const dims = cbT.length / ksub;
    const n = rows.length / dims;
    const tables = new Float32Array(m * ksub);
    for (let i = 0; i < n; i++) {
      referenceKernel.distanceTables("l2", rows.subarray(i * dims, (i + 1) * dims), cbT, m, ksub, tables);
      for (let s = 0; s < m; s++) {
        let best = 0;
        for (let j = 1; j < ksub; j++) if (tables[s * ksub + j]! > tables[s * ksub + best]!) best = j;
        outCodes[i * m + s] = best;
      }
    }
  },
};

function score(metric: Metric, x: Float32Array, xo: number, y: Float32Array, yo: number, dims: number): number {
  let acc = 0;
  if (metric === "ip") for (let d = 0; d < dims; d++) acc += x[xo + d]! * y[yo + d]!;
  else for (let d = 0; d < dims; d++) acc -= (x[xo + d]! - y[yo + d]!) ** 2;
  return acc;
}

/** Binary min-heap with the same admission rule and order of operations as the WASM `topkPush`. */
class ReferenceTopK implements TopK {
  private readonly scores: Float32Array;
  private readonly ids: Uint32Array;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.scores = new Float32Array(capacity);
    this.ids = new Uint32Array(capacity);
  }

  push(scores: Float32Array, ids: Uint32Array): void {
    for (let i = 0; i < scores.length; i++) {
      const s = Math.fround(scores[i]!);
      if (this.size < this.capacity) this.siftUp(s, ids[i]!);
      else if (this.capacity > 0 && s > this.scores[0]!) this.siftDown(s, ids[i]!);
    }
  }

  pushRange(scores: Float32Array, idBase: number): void {
    for (let i = 0; i < scores.length; i++) {
      const s = Math.fround(scores[i]!);
      if (this.size < this.capacity) this.siftUp(s, idBase + i);
      else if (this.capacity > 0 && s > this.scores[0]!) this.siftDown(s, idBase + i);
    }
  }

  threshold(): number {
    return this.size < this.capacity || this.capacity === 0 ? -Infinity : this.scores[0]!;
  }

  drain(): { ids: Uint32Array; scores: Float32Array } {
    const out = sortedPairs(this.scores, this.ids, this.size);
    this.size = 0;
    return out;
  }

  private siftUp(score: number, id: number): void {
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.scores[p]! <= score) break;
      this.scores[i] = this.scores[p]!;
      this.ids[i] = this.ids[p]!;
      i = p;
    }
    this.scores[i] = score;
    this.ids[i] = id;
  }

  private siftDown(score: number, id: number): void {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const c = l + 1 < this.size && this.scores[l + 1]! < this.scores[l]! ? l + 1 : l;
      if (this.scores[c]! >= score) break;
      this.scores[i] = this.scores[c]!;
      this.ids[i] = this.ids[c]!;
      i = c;
    }
    this.scores[i] = score;
    this.ids[i] = id;
  }
}
