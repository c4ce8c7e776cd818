import { decayAffinity } from "../../../../shared/events/affinity-decay";
import { type ItemFacts } from "../../../../shared/ranking/candidate";
import { type InteractionTable } from "../../train/interaction-table";

/** What the Worker's session would hold for one user when the request comes. */
export interface FunnelUser {
  /** Distinct items of the most recent events, newest first, with summed weights (the session's `weightedHistory`). */
  recent: { item: number; weight: number }[];
  /** Every item the user interacted with (the session's seen set, excluded from the list). */
  seen: ReadonlySet<number>;
  /** Category -> affinity decayed to `nowMs` (AFFINITY_HALF_LIFE_MS), over the whole history. */
  affinities: Record<string, number>;
  /** The request time: the user's newest training interaction (nothing later is known). */
  nowMs: number;
}

/**
 * Sessions of every user of `table`, keyed by dense user index. Every row
 * weighs 1, as the eval's iALS trains on binary rows (every rating is
 * relevant in both protocols). `recentLimit` is the session's cap on recent
 * events (50 in the Worker); Infinity folds in the whole history.
 */
export function funnelUsers(table: InteractionTable, facts: ReadonlyMap<string, ItemFacts>, recentLimit: number): Map<number, FunnelUser> {
  const rowsOf = new Map<number, number[]>();
  for (let r = 0; r < table.users.length; r++) {
    const rows = rowsOf.get(table.users[r]!) ?? [];
    rows.push(r);
    rowsOf.set(table.users[r]!, rows);
  }
  const out = new Map<number, FunnelUser>();
  for (const [user, rows] of rowsOf) {
    rows.sort((a, b) => table.timestampsSec[a]! - table.timestampsSec[b]! || a - b);
    const nowMs = table.timestampsSec[rows[rows.length - 1]!]! * 1000;
    const affinities: Record<string, number> = {};
    const seen = new Set<number>();
    for (const r of rows) {
      const item = table.items[r]!;
      seen.add(item);
      for (const category of facts.get(table.itemIds[item]!)?.categories ?? []) {
        affinities[category] = (affinities[category] ?? 0) + decayAffinity(1, table.timestampsSec[r]! * 1000, nowMs);
      }
    }
    const weights = new Map<number, number>();
    for (let k = rows.length - 1, events = 0; k >= 0 && events < recentLimit; k--, events++) {
      const item = table.items[rows[k]!]!;
      weights.set(item, (weights.get(item) ?? 0) + 1);
    }
    out.set(user, { recent: [...weights].map(([item, weight]) => ({ item, weight })), seen, affinities, nowMs });
  }
  return out;
}
