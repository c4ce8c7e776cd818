import { Redis } from "@upstash/redis";
import { streamEntries } from "../../index-builder/src/ingest/redis-stream";
import { EVENT_STREAM_KEY } from "../../shared/online/redis-keys";

export function redisClient(url: string, token: string): Redis {
  return new Redis({ url, token, automaticDeserialization: false, enableTelemetry: false });
}

/**
 * How many times each id appears in a Redis stream: event ids in the event
 * stream by default, or `idOf` applied to each entry's fields.
 */
export async function streamCounts(
  redis: Redis,
  stream = EVENT_STREAM_KEY,
  idOf: (fields: Record<string, string>) => string = (fields) => (JSON.parse(fields.event ?? "{}") as { eventId: string }).eventId,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let start = "-";
  for (;;) {
    const entries = streamEntries(await redis.xrange(stream, start, "+", 1000));
    for (const [, fields] of entries) {
      const id = idOf(fields);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    if (entries.length < 1000) return counts;
    start = `(${entries[entries.length - 1]![0]}`;
  }
}

export { poll } from "../poll";

/**
 * Waits, if need be, until the clock is at least 2 s past the top of an hour
 * and `marginMs` before the next: trending counts by the hour, so a test that
 * clicks (stamped a second ago) and then reads an hour's count must not
 * straddle two hours. Waits at most `marginMs` + 2 s, and rarely at all.
 */
export async function clearOfHourBoundary(marginMs = 20_000): Promise<void> {
  const HOUR_MS = 3_600_000;
  const into = Date.now() % HOUR_MS;
  const waitMs = into < 2_000 ? 2_000 - into : HOUR_MS - into < marginMs ? HOUR_MS - into + 2_000 : 0;
  if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
}

/** A click of `userId` on `itemId` a second ago, as an app posts it (optionally attributed to a shown list). */
export const click = (userId: string, eventId: string, itemId: string, extra: { impressionId?: string } = {}) => ({
  eventId,
  userId,
  itemId,
  type: "click" as const,
  timestamp: Date.now() - 1000,
  ...extra,
});
