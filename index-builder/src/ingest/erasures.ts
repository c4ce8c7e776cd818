import { readFile, rename, writeFile } from "node:fs/promises";
import { type Redis } from "@upstash/redis";
import { DELETED_USERS_KEY, ERASURE_APPLIED_KEY } from "../../../shared/online/redis-keys";
import { erasureTagger, MIN_ERASURE_KEY_CHARS } from "../../../shared/privacy/erasure-tag";
import { type IndexManifest } from "../../../shared/index-format/manifest";
import { type Dataset, type Interaction } from "../data/movielens";
import { type RedisAccess, redisClient } from "./redis-client";

/** Erased users as the Worker recorded them: erasure tag -> time of the erasure (ms). */
export type Erasures = Map<string, number>;

/** The erasure tag when an event of `userId`, received by the stream at `streamMs`, belongs to an erased user; else null. */
export type ErasedCheck = (userId: string, streamMs: number) => Promise<string | null>;

export async function readErasures(redis: Redis): Promise<Erasures> {
  const flat = (await redis.zrange(DELETED_USERS_KEY, 0, -1, { withScores: true })) as (string | number)[];
  const out: Erasures = new Map();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(String(flat[i]), Number(flat[i + 1]));
  return out;
}

/**
 * The check ingest and build apply to every event. An event the stream took
 * before its user's erasure is erased; one after it is a returning user's
 * new data. Needs the Worker's ERASURE_KEY once anyone was erased: without
 * it the builder cannot recognise them, and refuses rather than train on them.
 */
export function erasedCheck(erasures: Erasures, key: string | undefined): ErasedCheck {
  if (erasures.size === 0) return async () => null;
  if (!key || key.length < MIN_ERASURE_KEY_CHARS) {
    throw new Error(`${erasures.size} users were erased: set $ERASURE_KEY (the Worker's secret) so their events can be recognised and removed`);
  }
  const tagOf = erasureTagger(key);
  return async (userId, streamMs) => {
    const tag = await tagOf(userId);
    const at = erasures.get(tag);
    return at !== undefined && streamMs <= at ? tag : null;
  };
}

/**
 * What a build records of the erasure list it honoured (the manifest's
 * `erasureList`): when it was read, the earliest read where a build read it
 * more than once, and how many users it named. The Worker's erasure receipt
 * calls the live index done for an erasure completed before that read.
 */
export type ErasureListRecord = NonNullable<IndexManifest["erasureList"]>;

/** The erasure list as read now: its check and the record of the read. */
export async function readErasureList(redis: Redis, key: string | undefined): Promise<{ erasures: Erasures; check: ErasedCheck; record: ErasureListRecord }> {
  const readAt = new Date().toISOString();
  const erasures = await readErasures(redis);
  return { erasures, check: erasedCheck(erasures, key), record: { readAt, erasedUsers: erasures.size } };
}

/** The erasure list Redis holds, or undefined when there is no Redis to read it from. */
export async function erasureListOf(
  redis: RedisAccess | null,
  key: string | undefined,
): Promise<{ check: ErasedCheck; record: ErasureListRecord } | undefined> {
  return redis ? readErasureList(redisClient(redis), key) : undefined;
}

/** erasedCheck over the erasure list Redis holds, or undefined when there is no Redis to read it from. */
export async function erasedCheckOf(redis: RedisAccess | null, key: string | undefined): Promise<ErasedCheck | undefined> {
  return (await erasureListOf(redis, key))?.check;
}

/** The earlier of two reads of the list (what a build that read it twice honoured for sure); undefined when either is unknown. */
export function earliestRead(a: ErasureListRecord | undefined, b: ErasureListRecord | undefined): ErasureListRecord | undefined {
  if (!a || !b) return undefined;
  return Date.parse(a.readAt) <= Date.parse(b.readAt) ? a : b;
}

/**
 * Drops, in place, the base data's rows of erased users from before their
 * erasure (a row's own time decides; an undated row counts as before): a
 * team's export may still hold users the Worker erased, and no index may
 * train on them. Call it before live events are added (those are scrubbed by
 * ingest, by the time the stream took them). Answers the rows dropped.
 */
export async function dropErasedRows(dataset: Dataset, erased: ErasedCheck | undefined): Promise<number> {
  if (!erased) return 0;
  const kept: Interaction[] = [];
  for (const x of dataset.interactions) if ((await erased(x.userId, x.timestampMs)) === null) kept.push(x);
  const dropped = dataset.interactions.length - kept.length;
  dataset.interactions = kept;
  return dropped;
}

/** A build's step over its base data: the erased users' rows left out of `dataset` (dropErasedRows), and how many said; nothing without a list (no Redis). */
export async function leaveOutErasedRows(dataset: Dataset, list: { check: ErasedCheck } | undefined, log: (line: string) => void): Promise<void> {
  if (list) log(`left out ${await dropErasedRows(dataset, list.check)} rows of erased users from the base data`);
}

/** Milliseconds part of a stream id ("1700000000000-3"). */
export function streamMs(id: string): number {
  return Number(id.split("-")[0]);
}

/**
 * Removes erased users' events from an events file the builder wrote before
 * their erasure (rewritten whole, then renamed over the old one), when the
 * erasure list has entries this file has not yet been scrubbed for (kept in
 * `<file>.erasures.json`). Reports each newly applied erasure to Redis
 * (ERASURE_APPLIED_KEY), where the Worker's receipt route reads it.
 */
export async function scrubEventsFile(file: string, redis: Redis, erasures: Erasures, isErased: ErasedCheck, nowMs = Date.now()): Promise<number> {
  const stateFile = `${file}.erasures.json`;
  const applied = JSON.parse(await readFile(stateFile, "utf8").catch(() => "{}")) as Record<string, number>;
  const pending = [...erasures].filter(([tag, at]) => applied[tag] !== at);
  if (pending.length === 0) return 0;
  const text = await readFile(file, "utf8").catch(() => "");
  const kept: string[] = [];
  const removedBy = new Map<string, number>();
  let removed = 0;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as { userId: string; streamId: string };
    const tag = await isErased(event.userId, streamMs(event.streamId));
    if (tag === null) kept.push(line);
    else {
      removedBy.set(tag, (removedBy.get(tag) ?? 0) + 1);
      removed++;
    }
  }
  if (removed > 0) {
    await writeFile(`${file}.tmp`, kept.length > 0 ? kept.join("\n") + "\n" : "");
    await rename(`${file}.tmp`, file);
  }
  const progress = pending.map(([tag]) => [tag, JSON.stringify({ appliedAtMs: nowMs, linesRemoved: removedBy.get(tag) ?? 0 })]);
  await redis.hset(ERASURE_APPLIED_KEY, Object.fromEntries(progress));
  for (const [tag, at] of pending) applied[tag] = at;
  await writeFile(`${stateFile}.tmp`, JSON.stringify(applied));
  await rename(`${stateFile}.tmp`, stateFile);
  return removed;
}

/**
 * What `build --events` runs before reading the file: the same scrub as
 * ingest, so a build from a file ingest wrote before an erasure (ingest not
 * run since) still trains without the erased users.
 */
export async function scrubBeforeBuild(file: string, access: RedisAccess, key: string | undefined): Promise<{ removed: number; record: ErasureListRecord }> {
  const redis = redisClient(access);
  const { erasures, check, record } = await readErasureList(redis, key);
  return { removed: await scrubEventsFile(file, redis, erasures, check), record };
}
