import { appendFile, readFile, rename, writeFile } from "node:fs/promises";
import { type InteractionEvent } from "../../../shared/events/event";
import { type Interaction } from "../data/movielens";
import { EVENT_STREAM_KEY } from "../../../shared/online/redis-keys";
import { type ErasureListRecord, readErasureList, scrubEventsFile, streamMs } from "./erasures";
import { type RedisAccess, redisClient } from "./redis-client";

/** The stream's Upstash URL and token (and the commands' timeout). */
export interface IngestOptions extends RedisAccess {
  /** JSON Lines file the events are appended to. */
  outFile: string;
  /** Holds the last stream id read, so the next run continues after it. */
  cursorFile: string;
  pageSize?: number;
  /** The Worker's ERASURE_KEY: needed once any user was erased (default $ERASURE_KEY). */
  erasureKey?: string;
  log?: (line: string) => void;
}

export interface IngestReport {
  read: number;
  written: number;
  /** Events of users erased (DELETE /v1/users/:id) at or after the event reached the stream. */
  droppedErased: number;
  /** Lines of erased users removed from the file written by earlier runs. */
  scrubbed: number;
  cursor: string | null;
  /** The erasure list this run honoured (read before the stream): a build from the file honoured it too. */
  erasureList: ErasureListRecord;
}

/** One line of the output: an event as the stream carried it. */
export type StreamEvent = InteractionEvent & { region: string; streamId: string };

/**
 * First removes users erased since the last run from the file (erasures.ts),
 * then pages through the Redis event stream from the saved cursor, appending
 * each event of a user not erased as one JSON line and advancing the cursor
 * after every page; an erased user's entry the Worker's erasure missed is
 * deleted from the stream here. A crash
 * between the two can repeat a page on the next run; readers dedupe by
 * user and `eventId` (see `readLiveEvents`).
 */
export async function ingestFromRedis(options: IngestOptions): Promise<IngestReport> {
  const redis = redisClient(options);
  const pageSize = options.pageSize ?? 1000;
  const { erasures, check: isErased, record: erasureList } = await readErasureList(redis, options.erasureKey ?? process.env.ERASURE_KEY);
  const scrubbed = await scrubEventsFile(options.outFile, redis, erasures, isErased);
  if (scrubbed > 0) options.log?.(`removed ${scrubbed} events of erased users from ${options.outFile}`);
  let cursor = (await readFile(options.cursorFile, "utf8").catch(() => "")).trim() || null;
  const report: IngestReport = { read: 0, written: 0, droppedErased: 0, scrubbed, cursor, erasureList };
  for (;;) {
    const start = cursor ? `(${cursor}` : "-";
    const entries = streamEntries(await redis.xrange(EVENT_STREAM_KEY, start, "+", pageSize));
    const ids = entries.map(([id]) => id);
    if (ids.length === 0) break;
    const lines: string[] = [];
    const dropped: string[] = [];
    for (const [id, fields] of entries) {
      const event = JSON.parse(fields.event ?? "null") as (InteractionEvent & { region: string }) | null;
      report.read++;
      if (!event) continue;
      if ((await isErased(event.userId, streamMs(id))) !== null) {
        dropped.push(id);
        continue;
      }
      lines.push(JSON.stringify({ ...event, streamId: id } satisfies StreamEvent));
    }
    // Entries the erasure did not find (the user's trail had expired): gone from the stream too.
    if (dropped.length > 0) await redis.xdel(EVENT_STREAM_KEY, dropped);
    report.droppedErased += dropped.length;
    if (lines.length > 0) await appendFile(options.outFile, lines.join("\n") + "\n");
    report.written += lines.length;
    cursor = ids[ids.length - 1] ?? cursor;
    await writeFile(`${options.cursorFile}.tmp`, `${cursor}\n`);
    await rename(`${options.cursorFile}.tmp`, options.cursorFile);
    options.log?.(`read ${report.read} events (cursor ${cursor})`);
    if (ids.length < pageSize) break;
  }
  report.cursor = cursor;
  return report;
}

/** Live events from an ingest file, deduplicated by user and event id (ids are each user's own), in file order. */
export async function readLiveEvents(file: string): Promise<StreamEvent[]> {
  const text = await readFile(file, "utf8");
  const seen = new Set<string>();
  const out: StreamEvent[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as StreamEvent;
    const key = `${event.userId}\u0000${event.eventId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(event);
  }
  return out;
}

/**
 * XRANGE entries as (id, fields) pairs. Without automatic deserialization the
 * client hands back Redis's raw shape, `[[id, [field, value, ...]], ...]`.
 */
export function streamEntries(raw: unknown): [string, Record<string, string>][] {
  if (!Array.isArray(raw)) return Object.entries(raw as Record<string, Record<string, string>>);
  return (raw as [string, string[]][]).map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
    return [id, fields];
  });
}

/** A live event as a training interaction. */
export function toInteraction(e: StreamEvent): Interaction {
  return {
    userId: e.userId,
    itemId: e.itemId,
    rating: e.type === "rating" ? (e.value ?? null) : null,
    timestampMs: e.timestampMs,
    type: e.type,
    ...(e.seconds === undefined ? {} : { seconds: e.seconds }),
  };
}
