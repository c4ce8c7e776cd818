import { type CovisitLists } from "../../../shared/covisit/covisit-lists";
import { linearLists } from "./ease";
import { type InteractionTable } from "./interaction-table";

export interface CovisitOptions {
  /** Neighbours kept per item. */
  topN: number;
  /**
   * A co-visit counts 0.5^(age / half-life), its age taken at the later of the
   * two interactions and measured back from the newest row. Infinity gives
   * SAR's plain co-occurrence counts.
   */
  halfLifeSec: number;
  /**
   * Session window: a pair counts 0.5^(gap / windowSec) more, gap the time
   * between the user's two interactions, so items met in the same sitting
   * weigh more than items a user met months apart (the "co-visitation
   * window" of session-based recommenders). Infinity (the default) ignores the gap.
   */
  windowSec?: number;
  /** Pairs seen together by fewer users are dropped (SAR's `threshold`); guards against one-user coincidences. */
  minUsers: number;
  /**
   * "sar" (default): the decayed Jaccard above. "ease": row i of EASE's
   * weights (Steck 2019) cut to its top N, with λ `easeRegularization`
   * (train/ease.ts); "dlae": the same from DLAE's weights (Steck 2020,
   * input dropout `dlaeDropout`, λ `easeRegularization`). The decay and
   * support threshold do not apply to either. One dense inverse, so for
   * catalogues up to EASE_MAX_ITEMS, or DLAE over `dlaeHead` of them;
   * chosen on validation like the rest.
   */
  similarity?: "sar" | "ease" | "dlae";
  /** λ of the EASE or DLAE lists (in co-occurrence counts, so it grows with the data). */
  easeRegularization?: number;
  /** DLAE's dropout probability p in [0, 1); 0 is ridge regression with the diagonal allowed. */
  dlaeDropout?: number;
  /** DLAE over this many items, those most users met (the rest get no list); all items when absent. */
  dlaeHead?: number;
}

/** The session window in hours, or null when there is none (the gap does not count). */
export function windowHours(options: Pick<CovisitOptions, "windowSec">): number | null {
  const w = options.windowSec ?? Infinity;
  return Number.isFinite(w) ? w / 3600 : null;
}

/** The lists' kind in a few words, for reports: "jaccard ≥ 20 users, top 100" or "dlae λ 300 dropout 0.5, top 200". */
export function describeLists(options: CovisitOptions): string {
  if (options.similarity === "ease") return `ease λ ${options.easeRegularization}, top ${options.topN}`;
  if (options.similarity === "dlae")
    return `dlae λ ${options.easeRegularization} dropout ${options.dlaeDropout}${options.dlaeHead === undefined ? "" : ` over the ${options.dlaeHead} items most users met`}, top ${options.topN}`;
  const window = windowHours(options);
  return `jaccard ≥ ${options.minUsers} users, top ${options.topN}${window === null ? "" : `, window ${window} h`}`;
}

export const DEFAULT_COVISIT: CovisitOptions = { topN: 50, halfLifeSec: 365 * 86_400, minUsers: 2 };

/**
 * Tuned on a validation split of the demo data (docs/movielens-hand-tuning.md,
 * TIME_COVISIT): with 9.7k mostly rare items, lists need pairs that at least
 * 50 users share, or top-N by Jaccard fills with coincidences.
 */
export const DEMO_COVISIT: CovisitOptions = { topN: 100, halfLifeSec: 365 * 86_400, minUsers: 50 };

/**
 * Builds the top-N co-visitation lists with a time-decayed SAR similarity:
 * C[i,j] = Σᵤ decay(u,i,j), J[i,j] = C[i,j] / (C[i,i] + C[j,j] − C[i,j]). Rows
 * are computed one at a time into a scratch array, so memory is
 * O(nItems + rows + output) and the work is Σᵤ nᵤ², never a dense item×item matrix.
 */
export function buildCovisitation(table: InteractionTable, options: CovisitOptions = DEFAULT_COVISIT): CovisitLists {
  if (options.similarity === "ease" || options.similarity === "dlae") {
    if (!(options.easeRegularization! > 0)) throw new RangeError(`${options.similarity.toUpperCase()} lists need easeRegularization > 0`);
    if (options.similarity === "ease") return linearLists(table, options.easeRegularization!, options.topN);
    if (options.dlaeDropout === undefined) throw new RangeError("DLAE lists need dlaeDropout in [0, 1)");
    return linearLists(table, options.easeRegularization!, options.topN, { kind: "dlae", dropout: options.dlaeDropout }, options.dlaeHead);
  }
  const nItems = table.itemIds.length;
  const nUsers = table.userIds.length;
  let tNow = -Infinity;
  for (const t of table.timestampsSec) tNow = Math.max(tNow, t);
  // Per user: distinct items with the decay of their latest interaction.
  const latest = new Map<number, number>();
  for (let r = 0; r < table.users.length; r++) {
    const key = table.users[r]! * nItems + table.items[r]!;
    latest.set(key, Math.max(latest.get(key) ?? -Infinity, table.timestampsSec[r]!));
  }
  const keys = [...latest.keys()].sort((a, b) => a - b);
  const userStart = new Uint32Array(nUsers + 1);
  const userItems = new Uint32Array(keys.length);
  const userDecay = new Float64Array(keys.length);
  const userTime = new Float64Array(keys.length);
  const window = options.windowSec ?? Infinity;
  const windowed = Number.isFinite(window);
  keys.forEach((key, k) => {
    userTime[k] = latest.get(key)!;
    const u = Math.floor(key / nItems);
    userStart[u + 1] = k + 1;
    userItems[k] = key - u * nItems;
    userDecay[k] = Number.isFinite(options.halfLifeSec) ? Math.pow(0.5, (tNow - latest.get(key)!) / options.halfLifeSec) : 1;
  });
  for (let u = 0; u < nUsers; u++) userStart[u + 1] = Math.max(userStart[u + 1]!, userStart[u]!);
  // Item -> positions in the per-user arrays.
  const itemStart = new Uint32Array(nItems + 1);
  for (const i of userItems) itemStart[i + 1]!++;
  for (let i = 0; i < nItems; i++) itemStart[i + 1]! += itemStart[i]!;
  const itemEntries = new Uint32Array(keys.length);
  const fill = itemStart.slice(0, nItems);
  for (let k = 0; k < keys.length; k++) itemEntries[fill[userItems[k]!]!++] = k;
  const entryUser = new Uint32Array(keys.length);
  for (let u = 0; u < nUsers; u++) entryUser.fill(u, userStart[u]!, userStart[u + 1]!);
  const diag = new Float64Array(nItems);
  for (let k = 0; k < keys.length; k++) diag[userItems[k]!]! += userDecay[k]!;

  const co = new Float64Array(nItems);
  const users = new Uint32Array(nItems);
  const touched: number[] = [];
  const offsets = new Uint32Array(nItems + 1);
  const neighbors: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < nItems; i++) {
    for (let e = itemStart[i]!; e < itemStart[i + 1]!; e++) {
      const k = itemEntries[e]!;
      const u = entryUser[k]!;
      const di = userDecay[k]!;
      for (let q = userStart[u]!; q < userStart[u + 1]!; q++) {
        const j = userItems[q]!;
        if (j === i) continue;
        if (users[j] === 0) touched.push(j);
        users[j]!++;
        const w = Math.min(di, userDecay[q]!);
        co[j]! += windowed ? w * Math.pow(0.5, Math.abs(userTime[k]! - userTime[q]!) / window) : w;
      }
    }
    const row: { j: number; s: number }[] = [];
    for (const j of touched) {
      if (users[j]! >= options.minUsers) {
        const denom = diag[i]! + diag[j]! - co[j]!;
        if (denom > 0) row.push({ j, s: co[j]! / denom });
      }
      co[j] = 0;
      users[j] = 0;
    }
    touched.length = 0;
    row.sort((a, b) => b.s - a.s || a.j - b.j);
    for (const { j, s } of row.slice(0, options.topN)) {
      neighbors.push(j);
      scores.push(s);
    }
    offsets[i + 1] = neighbors.length;
  }
  return { offsets, neighbors: Uint32Array.from(neighbors), scores: Float32Array.from(scores) };
}
