import { type Redis } from "@upstash/redis";
import { type InteractionEvent } from "../../../shared/events/event";
import { type ImpressionRecord } from "../../../shared/experiments/exposure";
import { type DecisionSnapshot, decisionSnapshotKey, decodeDecisionSnapshot } from "../../../shared/experiments/decision-snapshots";
import { EVENT_STREAM_KEY, IMPRESSION_STREAM_KEY } from "../../../shared/online/redis-keys";
import { streamEntries } from "../ingest/redis-stream";

const PAGE = 1000;

/** Every entry of a Redis stream, parsed from one JSON field, with the entry's time (ms, from its id), oldest first, in pages. */
async function readStream<T>(redis: Redis, key: string, field: string): Promise<(T & { streamMs: number })[]> {
  const out: (T & { streamMs: number })[] = [];
  let start = "-";
  for (;;) {
    const entries = streamEntries(await redis.xrange(key, start, "+", PAGE));
    for (const [id, fields] of entries) {
      const raw = fields[field];
      if (raw) out.push({ ...(JSON.parse(raw) as T), streamMs: Number(id.split("-")[0]) });
    }
    if (entries.length < PAGE) return out;
    start = `(${entries[entries.length - 1]![0]}`;
  }
}

/**
 * A logged event with the time Redis received it (what orders it against the lists shown: client timestamps can lag
 * or lead), the region it came from and the session version it first counted in (absent in older entries).
 */
export type LoggedEvent = InteractionEvent & { streamMs: number; region?: string; sessionVersion?: number };

export const readImpressionLog = (redis: Redis) => readStream<ImpressionRecord>(redis, IMPRESSION_STREAM_KEY, "impression");
export const readEventLog = (redis: Redis): Promise<LoggedEvent[]> => readStream<Omit<LoggedEvent, "streamMs">>(redis, EVENT_STREAM_KEY, "event");

/** A whole hash, by HSCAN pages (an experiment's per-user hash can be large). */
export async function scanHash(redis: Redis, key: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let cursor: string | number = 0;
  do {
    const [next, flat] = (await redis.hscan(key, cursor, { count: 5000 })) as [string | number, (string | number)[]];
    for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
    cursor = next;
  } while (String(cursor) !== "0");
  return out;
}

/** The decision snapshots (trending lists, catalogue overlays) the logged lists name, by id; ids not stored are absent. */
export async function readDecisionSnapshots(redis: Redis, impressions: readonly ImpressionRecord[]): Promise<Map<string, DecisionSnapshot>> {
  const ids = new Set<string>();
  for (const i of impressions) {
    if (i.decision?.trendingSnapshot) ids.add(i.decision.trendingSnapshot);
    if (i.decision?.overlaySnapshot) ids.add(i.decision.overlaySnapshot);
  }
  const wanted = [...ids];
  const out = new Map<string, DecisionSnapshot>();
  for (let i = 0; i < wanted.length; i += 100) {
    const chunk = wanted.slice(i, i + 100);
    const values = await redis.mget<(string | null)[]>(...chunk.map(decisionSnapshotKey));
    chunk.forEach((id, k) => {
      const raw = values[k];
      // @upstash/redis parses JSON values by default; the snapshot is decoded from its stored text either way.
      const snapshot = raw === null || raw === undefined ? null : decodeDecisionSnapshot(typeof raw === "string" ? raw : JSON.stringify(raw));
      if (snapshot) out.set(id, snapshot);
    });
  }
  return out;
}
