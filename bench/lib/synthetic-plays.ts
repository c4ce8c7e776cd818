import { mulberry32, normalSource } from "../../index-builder/src/train/seeded-random";

/**
 * A synthetic play-count log in the shape issue #16 gives for the log we
 * are scored on and do not have: about 93k user–item rows, 1.9k users,
 * 17.6k items, play counts from 1 to six digits, no timestamps. The taste
 * structure is ours and deliberately simple, so the figures it yields are
 * not comparable with any real log's; what it checks is that import,
 * tuning, the carve and the funnel hold up at that shape (a catalogue ten
 * times the user count, most items with one or two listeners, counts
 * spanning five orders of magnitude, EASE out of reach) and where the
 * served funnel stands against the tuned iALS and popularity there.
 *
 * - Items belong to one of `clusters` tastes; item k's appeal falls as
 *   (k+1)^−zipf, so a few items are everywhere and most are rare.
 * - A user has three tastes weighted 0.6 / 0.3 / 0.1 and draws
 *   `rowsPerUser` distinct items (fewer for one user in ten): each draw
 *   is from the global appeal with probability `offTaste`, else from one
 *   of the user's tastes by the same appeal.
 * - Plays = the user's scale (log-normal: some users listen a hundred
 *   times more than others) × log-normal noise × 4 for items of the
 *   user's main taste, at least 1. So counts carry taste signal, but only
 *   relative to the user's own scale.
 */
export interface SyntheticPlaysShape {
  users: number;
  items: number;
  rowsPerUser: number;
  clusters: number;
  zipf: number;
  offTaste: number;
  seed: number;
}

export const LOG_SHAPE: SyntheticPlaysShape = { users: 1900, items: 17_600, rowsPerUser: 50, clusters: 30, zipf: 0.75, offTaste: 0.15, seed: 12_345 };

export interface PlayRow {
  user: string;
  item: string;
  plays: number;
}

export function syntheticPlays(shape: SyntheticPlaysShape = LOG_SHAPE): PlayRow[] {
  const uniform = mulberry32(shape.seed);
  const normal = normalSource(uniform);
  const byTaste: number[][] = Array.from({ length: shape.clusters }, () => []);
  const tasteOf = new Int32Array(shape.items);
  for (let k = 0; k < shape.items; k++) {
    tasteOf[k] = Math.floor(uniform() * shape.clusters);
    byTaste[tasteOf[k]!]!.push(k);
  }
  const appeal = (k: number) => 1 / Math.pow(k + 1, shape.zipf);
  const sampler = (pool: readonly number[]) => {
    const cumulative = new Float64Array(pool.length);
    let total = 0;
    pool.forEach((k, i) => (cumulative[i] = total += appeal(k)));
    return () => {
      const x = uniform() * total;
      let lo = 0;
      let hi = pool.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      return pool[lo]!;
    };
  };
  const anyItem = sampler(Array.from({ length: shape.items }, (_, k) => k));
  const inTaste = byTaste.map((pool) => (pool.length > 0 ? sampler(pool) : anyItem));
  const rows: PlayRow[] = [];
  for (let u = 0; u < shape.users; u++) {
    const n = uniform() < 0.9 ? shape.rowsPerUser : 1 + Math.floor(uniform() * (shape.rowsPerUser - 1));
    const tastes = [0, 1, 2].map(() => Math.floor(uniform() * shape.clusters));
    const scale = Math.exp(5 + 1.2 * normal());
    const items = new Set<number>();
    for (let tries = 0; items.size < n && tries < 100 * shape.rowsPerUser; tries++) {
      const x = uniform();
      if (x < shape.offTaste) items.add(anyItem());
      else {
        const t = (x - shape.offTaste) / (1 - shape.offTaste);
        items.add(inTaste[tastes[t < 0.6 ? 0 : t < 0.9 ? 1 : 2]!]!());
      }
    }
    for (const k of items) {
      const main = tasteOf[k] === tastes[0] ? 4 : 1;
      rows.push({ user: `u${u}`, item: `a${k}`, plays: Math.max(1, Math.round(scale * main * Math.exp(0.8 * normal()))) });
    }
  }
  return rows;
}
