import { type CovisitLists } from "../../../shared/covisit/covisit-lists";
import { type InteractionTable } from "./interaction-table";

/** Largest catalogue EASE inverts: 5,000² float64 is 200 MB per matrix, and the inverse is O(n³). */
export const EASE_MAX_ITEMS = 5000;

/** Each user's distinct items, ascending. */
export function distinctHistories(train: InteractionTable): number[][] {
  const sets = train.userIds.map(() => new Set<number>());
  for (let r = 0; r < train.users.length; r++) sets[train.users[r]!]!.add(train.items[r]!);
  return sets.map((s) => [...s].sort((a, b) => a - b));
}

/** G = XᵀX for the binary X of `histories` (each user's distinct items): co-occurrence counts, size n*n row-major. */
function gram(histories: readonly (readonly number[])[], n: number): Float64Array {
  const g = new Float64Array(n * n);
  for (const items of histories) for (const i of items) for (const j of items) g[i * n + j]! += 1;
  return g;
}

/**
 * EASE's item-item weights B (size n*n, row-major, zero diagonal) from the
 * users' distinct items: B = I − P·diagMat(1/diag(P)), P = (XᵀX + λI)⁻¹ on the binary X.
 */
export function easeWeights(histories: readonly (readonly number[])[], n: number, regularization: number): Float64Array {
  const g = gram(histories, n);
  for (let i = 0; i < n; i++) g[i * n + i]! += regularization;
  const p = invertSpd(g, n);
  for (let j = 0; j < n; j++) {
    const scale = -1 / p[j * n + j]!;
    for (let i = 0; i < n; i++) p[i * n + j]! *= scale;
  }
  for (let i = 0; i < n; i++) p[i * n + i] = 0;
  return p;
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

/**
 * DLAE's item-item weights (Steck, "Autoencoders that don't overfit towards
 * the Identity", NeurIPS 2020, eq. 8: the closed form of a linear
 * autoencoder trained under input dropout with probability p): B =
 * (G + Λ)⁻¹·G with G = XᵀX on the binary X and Λ = diagMat(p/(1−p)·diag(G) + λ).
 * Since (G + Λ)⁻¹·G = I − P·Λ with P = (G + Λ)⁻¹, one inverse gives it. The
 * dropout penalises each item's weights by its own popularity, where EASE
 * only forbids the diagonal. Size n*n, row-major; the diagonal is kept (a
 * history item scores itself, which never matters: seen items are removed).
 */
export function dlaeWeights(histories: readonly (readonly number[])[], n: number, regularization: number, dropout: number): Float64Array {
  if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`DLAE dropout must be in [0, 1), got ${dropout}`);
  const g = gram(histories, n);
  const lambda = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    lambda[j] = (dropout / (1 - dropout)) * g[j * n + j]! + regularization;
    g[j * n + j]! += lambda[j]!;
  }
  const p = invertSpd(g, n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) p[row + j] = (i === j ? 1 : 0) - p[row + j]! * lambda[j]!;
  }
  return p;
}

/** Which closed-form linear autoencoder `linearLists` cuts into lists: EASE, or DLAE with its dropout. */
export type LinearModel = { kind: "ease" } | { kind: "dlae"; dropout: number };

/**
 * A linear autoencoder as item-to-item lists in the co-visitation format:
 * item i's list is row i of its B (EASE's, or DLAE's) cut to its `topN`
 * largest positive off-diagonal weights, so the co-visitation source's
 * Σᵢ wᵢ·sim(i, j) over a history becomes the model's score (x·B)
 * restricted to the strongest links. Negative weights are dropped (the
 * lists hold only neighbours); a dense n×n inverse, so only for catalogues
 * up to EASE_MAX_ITEMS, or over the `head` items most users met (the
 * model fitted on those columns alone; the other items get no list and
 * appear in none).
 */
export function linearLists(
  table: InteractionTable,
  regularization: number,
  topN: number,
  model: LinearModel = { kind: "ease" },
  head = Infinity,
): CovisitLists {
  const total = table.itemIds.length;
  const name = model.kind === "ease" ? "EASE" : "DLAE";
  const all = distinctHistories(table);
  // Dense columns: every item, or the `head` with the most users (ties to the lower index).
  let columns = Array.from({ length: total }, (_, i) => i);
  if (total > head) {
    const users = new Float64Array(total);
    for (const items of all) for (const i of items) users[i]!++;
    columns = columns
      .sort((x, y) => users[y]! - users[x]! || x - y)
      .slice(0, head)
      .sort((x, y) => x - y);
  }
  const n = columns.length;
  if (n > EASE_MAX_ITEMS) throw new RangeError(`${name} lists need a dense ${n}×${n} inverse; they run up to ${EASE_MAX_ITEMS} items`);
  const local = new Int32Array(total).fill(-1);
  columns.forEach((i, c) => (local[i] = c));
  // Every item a column: the histories as they are; else each keeps its head items.
  const histories = n === total ? all : all.map((items) => items.flatMap((i) => (local[i]! >= 0 ? [local[i]!] : [])));
  const b = model.kind === "ease" ? easeWeights(histories, n, regularization) : dlaeWeights(histories, n, regularization, model.dropout);
  const offsets = new Uint32Array(total + 1);
  const neighbors: number[] = [];
  const scores: number[] = [];
  const row: number[] = [];
  for (let g = 0; g < total; g++) {
    const i = local[g]!;
    if (i >= 0) {
      row.length = 0;
      for (let j = 0; j < n; j++) if (j !== i && b[i * n + j]! > 0) row.push(j);
      row.sort((x, y) => b[i * n + y]! - b[i * n + x]! || x - y);
      for (const j of row.slice(0, topN)) {
        neighbors.push(columns[j]!);
        scores.push(b[i * n + j]!);
      }
    }
    offsets[g + 1] = neighbors.length;
  }
  return { offsets, neighbors: Uint32Array.from(neighbors), scores: Float32Array.from(scores) };
}
