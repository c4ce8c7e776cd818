import { type OutboxEvent } from "../redis/event-forwarder";

/** Events sent to Redis per round trip while draining. */
const DRAIN_CHUNK = 100;

/** Retry delay after `failures` consecutive failed drains: 1 s doubling to 60 s. */
export function outboxBackoffMs(failures: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, failures - 1));
}

export function enqueue(sql: SqlStorage, items: OutboxEvent[], nowMs: number): void {
  for (const item of items) {
    sql.exec(`INSERT INTO outbox (payload, accepted_ms) VALUES (?, ?)`, JSON.stringify(item), nowMs);
  }
}

export function outboxSize(sql: SqlStorage): number {
  return sql.exec<{ n: number }>(`SELECT count(*) AS n FROM outbox`).one().n;
}

/**
 * Sends the outbox to `deliver` oldest first, a chunk at a time, deleting
 * each chunk only after `deliver` resolved. Stops at the first failure,
 * leaving the rest (in order) for the next attempt.
 */
export async function drainOutbox(sql: SqlStorage, deliver: (items: OutboxEvent[]) => Promise<unknown>): Promise<number> {
  let sent = 0;
  for (;;) {
    const rows = sql.exec<{ seq: number; payload: string }>(`SELECT seq, payload FROM outbox ORDER BY seq LIMIT ?`, DRAIN_CHUNK).toArray();
    const last = rows.at(-1);
    if (!last) return sent;
    await deliver(rows.map((r) => JSON.parse(r.payload) as OutboxEvent));
    sql.exec(`DELETE FROM outbox WHERE seq <= ?`, last.seq);
    sent += rows.length;
  }
}
