import { type InteractionTable } from "../train/interaction-table";
import { type Recommender } from "./recommender";

/**
 * EASE^R (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"):
 * B = I − P·diagMat(1/diag(P)) with P = (XᵀX + λI)⁻¹ on the binary matrix X,
 * scores = X·B. A closed form, so it is a strong, deterministic reference; the
 * dense item×item inverse limits it to catalogues of a few thousand items
 * (EASE_MAX_ITEMS): `skipReason` says so before anything is allocated.
 */
/** Largest catalogue EASE inverts: 5,000² float64 is 200 MB per matrix, and the inverse is O(n³). */
export const EASE_MAX_ITEMS = 5000;

export class EaseRecommender implements Recommender {
  readonly name = "ease";
  readonly params: Record<string, number>;
  /** Size nItems*nItems, row-major. */
  weights: Float64Array = new Float64Array(0);
  private nItems = 0;
  private history: number[][] = [];

  /** `regularization` is Steck's λ. */
  constructor(private readonly regularization: number) {
    this.params = { regularization };
  }

  skipReason(train: InteractionTable): string | null {
    const n = train.itemIds.length;
    if (n <= EASE_MAX_ITEMS) return null;
    const gib = (n * n * 8 * 2) / 2 ** 30;
    return `${n} items need two dense ${n}×${n} float64 matrices (${gib.toFixed(1)} GiB) for the inverse; EASE runs up to ${EASE_MAX_ITEMS} items`;
  }

  fit(train: InteractionTable): void {
    const n = train.itemIds.length;
    const skip = this.skipReason(train);
    if (skip) throw new Error(`ease: ${skip}`);
    this.nItems = n;
    const sets = train.userIds.map(() => new Set<number>());
    for (let r = 0; r < train.users.length; r++) sets[train.users[r]!]!.add(train.items[r]!);
    this.history = sets.map((s) => [...s].sort((a, b) => a - b));
    const g = new Float64Array(n * n);
    for (const items of this.history) for (const i of items) for (const j of items) g[i * n + j]! += 1;
    for (let i = 0; i < n; i++) g[i * n + i]! += this.regularization;
    const p = invertSpd(g, n);
    for (let j = 0; j < n; j++) {
      const scale = -1 / p[j * n + j]!;
      for (let i = 0; i < n; i++) p[i * n + j]! *= scale;
    }
    for (let i = 0; i < n; i++) p[i * n + i] = 0;
    this.weights = p;
  }

  scoreUser(user: number, out: Float64Array): void {
    out.fill(0);
    const n = this.nItems;
    for (const i of this.history[user] ?? []) {
      const row = i * n;
      for (let j = 0; j < n; j++) out[j]! += this.weights[row + j]!;
    }
  }
}

/** Inverse of a symmetric positive definite matrix (size n*n, row-major) by Cholesky; returns a new matrix. */
export function invertSpd(a: Float64Array, n: number): Float64Array {
  const l = Float64Array.from(a);
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let diag = l[rowJ + j]!;
    for (let k = 0; k < j; k++) diag -= l[rowJ + k]! * l[rowJ + k]!;
    if (!(diag > 0)) throw new Error("invertSpd: matrix is not positive definite");
    const ljj = Math.sqrt(diag);
    l[rowJ + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = l[rowI + j]!;
      for (let k = 0; k < j; k++) s -= l[rowI + k]! * l[rowJ + k]!;
      l[rowI + j] = s / ljj;
    }
  }
  // A⁻¹ = L⁻ᵀ·L⁻¹. Column j of L⁻¹ is built in a contiguous scratch vector and
  // stored as row j of U = L⁻ᵀ, so every inner loop below walks memory in order.
  const u = new Float64Array(n * n);
  const col = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    col.fill(0);
    col[j] = 1 / l[j * n + j]!;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = 0;
      for (let k = j; k < i; k++) s -= l[rowI + k]! * col[k]!;
      col[i] = s / l[rowI + i]!;
    }
    u.set(col, j * n);
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let j = 0; j <= i; j++) {
      const rowJ = j * n;
      let s = 0;
      for (let k = i; k < n; k++) s += u[rowI + k]! * u[rowJ + k]!;
      out[rowI + j] = s;
      out[rowJ + i] = s;
    }
  }
  return out;
}
