import { type InteractionTable } from "../train/interaction-table";
import { TEST } from "./msr-split";

/**
 * A per-user temporal split: each user's rows sorted by (timestamp, source
 * row), the most recent round(testFraction·n) of them (at least 1) test, the
 * rest train. Every user is evaluated on what they did after their training
 * history. A global time cut was tried first and rejected: on ml-latest-small
 * only 28 users have rows on both sides of the 80th-percentile timestamp.
 * Returns a mask per row (0 = train, TEST = test).
 */
export function perUserTimeSplit(table: InteractionTable, testFraction: number): Uint8Array {
  const byUser = new Map<number, number[]>();
  for (let r = 0; r < table.users.length; r++) {
    const rows = byUser.get(table.users[r]!) ?? [];
    rows.push(r);
    byUser.set(table.users[r]!, rows);
  }
  const mask = new Uint8Array(table.users.length);
  for (const rows of byUser.values()) {
    if (rows.length < 2) continue;
    rows.sort((a, b) => table.timestampsSec[a]! - table.timestampsSec[b]! || a - b);
    const testCount = Math.max(1, Math.round(testFraction * rows.length));
    for (const r of rows.slice(rows.length - testCount)) mask[r] = TEST;
  }
  return mask;
}
