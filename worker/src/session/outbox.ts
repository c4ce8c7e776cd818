import { type Redis } from "@upstash/redis/cloudflare";
import { forwardEvents, type OutboxEvent } from "../redis/event-forwarder";
import { type ImpressionRecord, writeImpressions } from "../redis/impressions";

/**
 * What the outbox owes Redis, in order: accepted events, and impressions
 * whose direct write failed (Redis down) and that were handed to the
 * user's session to deliver like events.
 */
export type OutboxItem = OutboxEvent | { impression: ImpressionRecord };

/** Events sent to Redis per round trip while draining. */
const DRAIN_CHUNK = 100;

/** Retry delay after `failures` consecutive failed drains: 1 s doubling to 60 s. */
export function outboxBackoffMs(failures: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, failures - 1));
}

export function enqueue(sql: SqlStorage, items: OutboxItem[], nowMs: number): void {
  for (const item of items) {
    sql.exec(`INSERT INTO outbox (payload, accepted_ms, kind) VALUES (?, ?, ?)`, JSON.stringify(item), nowMs, "impression" in item ? "impression" : "event");
  }
}

/** Entries waiting, of one kind. */
export function outboxSize(sql: SqlStorage, kind: "event" | "impression" = "event"): number {
  return sql.exec<{ n: number }>(`SELECT count(*) AS n FROM outbox WHERE kind = ?`, kind).one().n;
}

/**
 * Sends the outbox to `deliver` oldest first, a chunk at a time, deleting
 * each chunk only after `deliver` resolved. Stops at the first failure,
 * leaving the rest (in order) for the next attempt.
 */
export async function drainOutbox(sql: SqlStorage, deliver: (items: OutboxItem[]) => Promise<unknown>): Promise<number> {
  let sent = 0;
  for (;;) {
    const rows = sql.exec<{ seq: number; payload: string }>(`SELECT seq, payload FROM outbox ORDER BY seq LIMIT ?`, DRAIN_CHUNK).toArray();
    const last = rows.at(-1);
    if (!last) return sent;
    await deliver(rows.map((r) => JSON.parse(r.payload) as OutboxItem));
    sql.exec(`DELETE FROM outbox WHERE seq <= ?`, last.seq);
    sent += rows.length;
  }
}

/**
 * Delivers outbox items in their order, each run of events or impressions
 * in one Redis request. Both writes are idempotent (an event id, an
 * impression id is applied once), so a chunk retried after a partial
 * failure changes nothing twice.
 */
export async function forwardOutboxItems(redis: Redis, items: OutboxItem[]): Promise<void> {
  for (let start = 0; start < items.length;) {
    const impressions = "impression" in items[start]!;
    let end = start + 1;
    while (end < items.length && "impression" in items[end]! === impressions) end++;
    const run = items.slice(start, end);
    if (impressions)
      await writeImpressions(
        redis,
        run.map((i) => (i as { impression: ImpressionRecord }).impression),
      );
    else await forwardEvents(redis, run as OutboxEvent[]);
    start = end;
  }
}
