import { type InteractionTable } from "../train/interaction-table";
import { mulberry32 } from "../train/seeded-random";
import { TEST } from "./msr-split";
import { perUserTimeSplit } from "./time-split";

/** Fewer held-out users than this and a carve cannot rank one model above another. */
export const MIN_CARVE_USERS = 20;
/** Above this share of held-out rows on items the fit rows never show, a carve mostly measures what nobody can predict. */
export const MAX_UNSEEN_SHARE = 0.5;
/** Above this share of users whose cut falls inside a run of equal timestamps, "most recent" is file order, not time. */
export const MAX_TIED_CUT_SHARE = 0.5;

/** How a held-out carve was made, and why it is the one used: kept in reports and manifests. */
export interface CarveReport {
  method: "time" | "random" | "msr";
  /** Why the time carve was refused (empty when it was used or not tried), or why a random carve was asked for. */
  fallbackReasons: string[];
  /** True when the random carve was asked for (soundCarve's randomBecause), time being sound. */
  randomAsked?: boolean;
  /** Problems of the carve finally used (empty when sound). */
  problems: string[];
  heldOutUsers: number;
  heldOutRows: number;
  /** Share of held-out rows whose item no fit row has. */
  unseenShare: number;
}

/**
 * A per-user random carve: each user with at least 2 rows holds out
 * round(fraction·n) of them (at least 1), drawn by a seeded shuffle. The
 * sound choice when time says nothing. Returns a mask per row (0 = fit, TEST = held out).
 */
export function perUserRandomSplit(table: InteractionTable, fraction: number, seed: number): Uint8Array {
  const uniform = mulberry32(seed);
  const byUser = rowsByUser(table);
  const mask = new Uint8Array(table.users.length);
  for (const u of [...byUser.keys()].sort((a, b) => a - b)) {
    const rows = byUser.get(u)!;
    if (rows.length < 2) continue;
    for (let k = rows.length - 1; k > 0; k--) {
      const j = Math.floor(uniform() * (k + 1));
      [rows[k], rows[j]] = [rows[j]!, rows[k]!];
    }
    const held = Math.max(1, Math.round(fraction * rows.length));
    for (const r of rows.slice(0, held)) mask[r] = TEST;
  }
  return mask;
}

/** What is wrong with a carve: no timestamps, a cut that ties, mostly unseen held-out items, too few users. */
export function carveProblems(table: InteractionTable, mask: Uint8Array, byTime: boolean): string[] {
  const problems: string[] = [];
  const stats = carveStats(table, mask);
  if (byTime) {
    if (stats.distinctTimestamps < 2) problems.push(stats.distinctTimestamps === 0 ? "no rows" : "no or constant timestamps (every row has the same time)");
    else if (stats.tiedCutShare > MAX_TIED_CUT_SHARE) {
      problems.push(`for ${pct(stats.tiedCutShare)} of users the cut falls between rows of equal timestamp, so "most recent" is file order`);
    }
  }
  if (stats.heldOutUsers < MIN_CARVE_USERS) problems.push(`only ${stats.heldOutUsers} users have held-out rows (need ${MIN_CARVE_USERS})`);
  if (stats.unseenShare > MAX_UNSEEN_SHARE) problems.push(`${pct(stats.unseenShare)} of held-out rows are items the fit rows never show`);
  return problems;
}

/**
 * Each user's most recent `fraction` held out when time can say what
 * "recent" is; otherwise (carveProblems) a seeded per-user random carve,
 * with the reasons, which the caller must print and record. A random carve
 * can still be unsound (too few users): `problems` says so. `randomBecause`
 * asks for the random carve whatever time could do, for that reason (a
 * validation carve must carve as the test carve it stands in for did).
 */
export function soundCarve(table: InteractionTable, fraction: number, seed: number, randomBecause?: string): { mask: Uint8Array; report: CarveReport } {
  const timeMask = perUserTimeSplit(table, fraction);
  const fallbackReasons = carveProblems(table, timeMask, true);
  // Time's own problems, when it has any, are the reasons; otherwise the caller's.
  const randomAsked = randomBecause !== undefined && fallbackReasons.length === 0;
  if (randomAsked) fallbackReasons.push(randomBecause);
  if (fallbackReasons.length === 0) return { mask: timeMask, report: reportOf(table, timeMask, "time", [], []) };
  const mask = perUserRandomSplit(table, fraction, seed);
  const report = reportOf(table, mask, "random", fallbackReasons, carveProblems(table, mask, false));
  return { mask, report: randomAsked ? { ...report, randomAsked } : report };
}

/** The report of a carve made some other way (the MSR split), checked the same way. */
export function reportOf(
  table: InteractionTable,
  mask: Uint8Array,
  method: CarveReport["method"],
  fallbackReasons: string[],
  problems = carveProblems(table, mask, method === "time"),
): CarveReport {
  const stats = carveStats(table, mask);
  return {
    method,
    fallbackReasons,
    problems,
    heldOutUsers: stats.heldOutUsers,
    heldOutRows: stats.heldOutRows,
    unseenShare: Math.round(stats.unseenShare * 1e4) / 1e4,
  };
}

/** One line for a log: which carve, and loudly why when it is not the time carve asked for. */
export function describeCarve(what: string, report: CarveReport): string {
  const base = `${what}: ${report.method} carve, ${report.heldOutUsers} users, ${report.heldOutRows} held-out rows, ${pct(report.unseenShare)} on items unseen in fit rows`;
  const fallback = report.randomAsked
    ? `\n${what}: a seeded per-user random carve, as asked (${report.fallbackReasons.join("; ")})`
    : report.fallbackReasons.length
      ? `\nWARNING: ${what}: the time carve is unsound (${report.fallbackReasons.join("; ")}); using a seeded per-user random carve instead`
      : "";
  const problems = report.problems.length ? `\nWARNING: ${what}: the carve is still unsound (${report.problems.join("; ")}); its scores decide nothing` : "";
  return base + fallback + problems;
}

function carveStats(table: InteractionTable, mask: Uint8Array) {
  const fitItems = new Set<number>();
  const distinct = new Set<number>();
  for (let r = 0; r < mask.length; r++) {
    if (mask[r] !== TEST) fitItems.add(table.items[r]!);
    if (distinct.size < 2) distinct.add(table.timestampsSec[r]!);
  }
  let heldOutRows = 0;
  let unseen = 0;
  const heldUsers = new Set<number>();
  for (let r = 0; r < mask.length; r++) {
    if (mask[r] !== TEST) continue;
    heldOutRows++;
    heldUsers.add(table.users[r]!);
    if (!fitItems.has(table.items[r]!)) unseen++;
  }
  // A user's cut ties when their newest fit row is as recent as their oldest held-out row.
  const newestFit = new Map<number, number>();
  const oldestHeld = new Map<number, number>();
  for (let r = 0; r < mask.length; r++) {
    const u = table.users[r]!;
    const t = table.timestampsSec[r]!;
    if (mask[r] === TEST) oldestHeld.set(u, Math.min(oldestHeld.get(u) ?? Infinity, t));
    else newestFit.set(u, Math.max(newestFit.get(u) ?? -Infinity, t));
  }
  let cut = 0;
  let tied = 0;
  let after = 0;
  for (const [u, t] of oldestHeld) {
    const fit = newestFit.get(u);
    if (fit === undefined) continue;
    cut++;
    if (fit >= t) tied++;
    if (t >= fit) after++;
  }
  return {
    distinctTimestamps: distinct.size,
    heldOutUsers: heldUsers.size,
    heldOutRows,
    unseenShare: heldOutRows ? unseen / heldOutRows : 0,
    tiedCutShare: cut ? tied / cut : 0,
    /** Of users on both sides, the share whose oldest held-out row is no older than their newest fit row; null when none is. */
    heldAfterFitShare: cut ? after / cut : null,
  };
}

/**
 * Of the users with rows on both sides, the share whose earliest held-out
 * row is no earlier than their latest fit row (ties count: a time carve's
 * cut may tie); null when the rows hold fewer than two distinct times,
 * which order nothing, or no user is on both sides.
 */
export function shareHeldAfterFit(table: InteractionTable, mask: Uint8Array): number | null {
  const stats = carveStats(table, mask);
  return stats.distinctTimestamps < 2 ? null : stats.heldAfterFitShare;
}

function rowsByUser(table: InteractionTable): Map<number, number[]> {
  const byUser = new Map<number, number[]>();
  for (let r = 0; r < table.users.length; r++) {
    const rows = byUser.get(table.users[r]!) ?? [];
    rows.push(r);
    byUser.set(table.users[r]!, rows);
  }
  return byUser;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
