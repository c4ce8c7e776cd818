import { type InteractionTable } from "../train/interaction-table";
import { type Recommender } from "./recommender";

export interface SarOptions {
  /** Affinity of a rating halves every this many seconds before the newest training row. */
  halfLifeSec: number;
}

/**
 * SAR as `recommenders/models/sar/sar_singlenode.py` computes it (BASELINES.md
 * §A): time-decayed affinity A, co-occurrence C = BᵀB of the binary
 * user×item matrix, Jaccard similarity, scores A·J. The item×item matrices
 * are dense: float64 like numpy up to DENSE_F64_MAX_ITEMS items (ML-100K), float32
 * beyond it, where Jaccard is computed over the counts in place to halve the memory
 * (ml-latest-small: 9.7k items, 380 MB).
 */
export class SarRecommender implements Recommender {
  readonly name = "sar";
  readonly params: Record<string, number>;
  /** Size nItems*nItems, row-major; empty for large catalogues, whose counts become `similarity` in place. */
  cooccurrence: Float64Array | Float32Array = new Float64Array(0);
  /** Jaccard similarity, size nItems*nItems, row-major; 0/0 is 0. */
  similarity: Float64Array | Float32Array = new Float64Array(0);
  private nItems = 0;
  private affinityStart = new Uint32Array(0);
  private affinityItems = new Uint32Array(0);
  private affinityValues = new Float64Array(0);

  constructor(private readonly options: SarOptions = { halfLifeSec: 30 * 86_400 }) {
    this.params = { half_life_days: options.halfLifeSec / 86_400 };
  }

  fit(train: InteractionTable): void {
    const n = train.itemIds.length;
    this.nItems = n;
    let tNow = -Infinity;
    for (const t of train.timestampsSec) tNow = Math.max(tNow, t);
    // Affinity per (user, item): Σ rating · min(1, 0.5^(age / half-life)).
    const perUser = new Map<number, Map<number, number>>();
    for (let r = 0; r < train.users.length; r++) {
      const u = train.users[r]!;
      const row = perUser.get(u) ?? new Map<number, number>();
      const decay = Math.min(1, Math.pow(0.5, (tNow - train.timestampsSec[r]!) / this.options.halfLifeSec));
      row.set(train.items[r]!, (row.get(train.items[r]!) ?? 0) + train.values[r]! * decay);
      perUser.set(u, row);
    }
    const users = train.userIds.length;
    this.affinityStart = new Uint32Array(users + 1);
    const items: number[] = [];
    const values: number[] = [];
    const c: Float32Array | Float64Array = n > DENSE_F64_MAX_ITEMS ? new Float32Array(n * n) : new Float64Array(n * n);
    for (let u = 0; u < users; u++) {
      const row = [...(perUser.get(u) ?? new Map<number, number>())].sort((a, b) => a[0] - b[0]);
      for (const [i, a] of row) {
        items.push(i);
        values.push(a);
        for (const [j] of row) c[i * n + j]! += 1;
      }
      this.affinityStart[u + 1] = items.length;
    }
    this.affinityItems = Uint32Array.from(items);
    this.affinityValues = Float64Array.from(values);
    if (c instanceof Float32Array) {
      this.cooccurrence = new Float32Array(0);
      this.similarity = jaccardInPlace(c, n);
    } else {
      this.cooccurrence = c;
      this.similarity = jaccard(c, n);
    }
  }

  scoreUser(user: number, out: Float64Array): void {
    out.fill(0);
    const n = this.nItems;
    for (let k = this.affinityStart[user]!; k < this.affinityStart[user + 1]!; k++) {
      const a = this.affinityValues[k]!;
      const row = this.affinityItems[k]! * n;
      for (let j = 0; j < n; j++) out[j]! += a * this.similarity[row + j]!;
    }
  }
}

export const DENSE_F64_MAX_ITEMS = 4096;

/** J[i,j] = C[i,j] / (C[i,i] + C[j,j] − C[i,j]), with 0/0 = 0. */
export function jaccard(c: Float64Array, n: number): Float64Array {
  const j = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    const caa = c[a * n + a]!;
    for (let b = 0; b < n; b++) {
      const cab = c[a * n + b]!;
      const denom = caa + c[b * n + b]! - cab;
      j[a * n + b] = denom === 0 ? 0 : cab / denom;
    }
  }
  return j;
}

/** The same, overwriting the counts (the diagonal is read first). */
function jaccardInPlace(c: Float32Array, n: number): Float32Array {
  const diag = new Float64Array(n);
  for (let a = 0; a < n; a++) diag[a] = c[a * n + a]!;
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      const cab = c[a * n + b]!;
      const denom = diag[a]! + diag[b]! - cab;
      c[a * n + b] = denom === 0 ? 0 : cab / denom;
    }
  }
  return c;
}
