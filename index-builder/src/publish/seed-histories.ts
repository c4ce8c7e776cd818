import { createHash } from "node:crypto";
import { HISTORY_DIGEST_TTL_S, historyDigestKey } from "../../../shared/online/redis-keys";
import { MAX_HISTORY_BATCH_ITEMS, MAX_HISTORY_ITEMS, MAX_HISTORY_USERS, MAX_HISTORY_WEIGHT, type UserHistory } from "../../../shared/users/history";
import { datasetTransform, trainingTable } from "../build/training-table";
import { type IndexManifest } from "../../../shared/index-format/manifest";
import { type Dataset, type Interaction } from "../data/movielens";
import { describeTransform, type WeightTransform } from "../data/weights";
import { type ErasedCheck } from "../ingest/erasures";
import { type RedisAccess, redisClient } from "../ingest/redis-client";
import { AdminClient, type AdminClientOptions } from "./admin-client";
import { readBuiltManifest } from "./publish-index";

/** Requests in flight at once. */
const SEED_CONCURRENCY = 4;

/**
 * Each user's history as a version trained on it: the dataset's own rows
 * (live events are in the sessions already and are left out) through
 * `trainingTable` with the version's weight transform, so each (user, item)
 * pair carries the weight iALS gave it; pairs a ratings log holds twice are
 * summed, as fold-in sums them, at the later time, and held within the
 * route's ±MAX_HISTORY_WEIGHT. Oldest first, the newest MAX_HISTORY_ITEMS
 * per user; undated logs keep the file's order. Rows `erased` says are an
 * erased user's from before their erasure are dropped before anything is
 * summed.
 */
export async function userHistories(
  dataset: Dataset,
  transform: WeightTransform,
  erased?: ErasedCheck,
): Promise<{ users: UserHistory[]; erasedRows: number; erasedUsers: string[] }> {
  const kept: Interaction[] = [];
  let erasedRows = 0;
  const erasedUsers = new Set<string>();
  for (const x of dataset.interactions) {
    if (x.type) continue;
    if (erased && (await erased(x.userId, x.timestampMs)) !== null) {
      erasedRows++;
      erasedUsers.add(x.userId);
    } else kept.push(x);
  }
  const table = trainingTable({ ...dataset, interactions: kept }, transform);
  const byUser = new Map<string, Map<string, { weight: number; timestampMs: number; row: number }>>();
  for (let r = 0; r < table.users.length; r++) {
    const userId = table.userIds[table.users[r]!]!;
    const timestampMs = table.timestampsSec[r]! * 1000;
    const itemId = table.itemIds[table.items[r]!]!;
    const pairs = byUser.get(userId) ?? new Map<string, { weight: number; timestampMs: number; row: number }>();
    byUser.set(userId, pairs);
    const pair = pairs.get(itemId);
    if (pair) {
      pair.weight += table.values[r]!;
      if (timestampMs >= pair.timestampMs) [pair.timestampMs, pair.row] = [timestampMs, r];
    } else pairs.set(itemId, { weight: table.values[r]!, timestampMs, row: r });
  }
  const users: UserHistory[] = [];
  for (const [userId, pairs] of byUser) {
    const sorted = [...pairs].sort(([, a], [, b]) => a.timestampMs - b.timestampMs || a.row - b.row).slice(-MAX_HISTORY_ITEMS);
    // A log without times has every row at 0: its items go undated, and the seeding stands for their time.
    const dated = sorted.some(([, p]) => p.timestampMs > 0);
    users.push({
      userId,
      items: sorted.map(([itemId, p]) => ({
        itemId,
        weight: Math.max(-MAX_HISTORY_WEIGHT, Math.min(MAX_HISTORY_WEIGHT, p.weight)),
        ...(dated ? { timestampMs: Math.round(p.timestampMs) } : {}),
      })),
    });
  }
  return { users, erasedRows, erasedUsers: [...erasedUsers] };
}

/** The weight transform a version trained with, as its manifest records it (`build.weights.transform`). */
function recordedTransform(manifest: IndexManifest): WeightTransform | undefined {
  return (manifest.build?.weights as { transform?: WeightTransform } | undefined)?.transform;
}

/** The transform to weigh `dataset`'s rows with for a version: the recorded one, else the dataset kind's default. */
export function versionTransform(manifest: IndexManifest, dataset: Dataset): WeightTransform {
  return recordedTransform(manifest) ?? datasetTransform(dataset);
}

/** Batches of whole users within the route's caps (MAX_HISTORY_USERS users, MAX_HISTORY_BATCH_ITEMS items). */
export function historyBatches(users: readonly UserHistory[]): UserHistory[][] {
  const batches: UserHistory[][] = [];
  let batch: UserHistory[] = [];
  let items = 0;
  for (const user of users) {
    if (batch.length > 0 && (batch.length >= MAX_HISTORY_USERS || items + user.items.length > MAX_HISTORY_BATCH_ITEMS)) {
      batches.push(batch);
      [batch, items] = [[], 0];
    }
    batch.push(user);
    items += user.items.length;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * A fingerprint of a history exactly as it is sent (items, weights, times,
 * in order): equal fingerprints, equal sessions. SHA-256, base64url, 128 bits.
 */
export function historyDigest(items: UserHistory["items"]): string {
  return createHash("sha256").update(JSON.stringify(items)).digest("base64url").slice(0, 22);
}

/** Where the digests of seeded histories are kept between runs: what lets a run send only the users whose history changed. */
export interface SeededDigests {
  /** The digest last seeded for each user (null: none known). */
  read(userIds: readonly string[]): Promise<(string | null)[]>;
  write(entries: readonly (readonly [userId: string, digest: string])[]): Promise<void>;
  forget(userIds: readonly string[]): Promise<void>;
}

/** Keys per Redis call when digests are read, written or deleted. */
const DIGEST_CHUNK = 1000;

/** The digests in the Worker's Redis (historyDigestKey), which the Worker deletes with the user on erasure. */
export function redisSeededDigests(access: RedisAccess): SeededDigests {
  const redis = redisClient(access);
  return {
    read: async (userIds) => {
      const out: (string | null)[] = [];
      for (let i = 0; i < userIds.length; i += DIGEST_CHUNK) {
        const part = await redis.mget<(string | null)[]>(...userIds.slice(i, i + DIGEST_CHUNK).map(historyDigestKey));
        out.push(...part.map((v) => (v === null ? null : String(v))));
      }
      return out;
    },
    write: async (entries) => {
      for (let i = 0; i < entries.length; i += DIGEST_CHUNK) {
        const pipeline = redis.pipeline();
        for (const [userId, digest] of entries.slice(i, i + DIGEST_CHUNK)) pipeline.set(historyDigestKey(userId), digest, { ex: HISTORY_DIGEST_TTL_S });
        await pipeline.exec();
      }
    },
    forget: async (userIds) => {
      for (let i = 0; i < userIds.length; i += DIGEST_CHUNK) await redis.del(...userIds.slice(i, i + DIGEST_CHUNK).map(historyDigestKey));
    },
  };
}

export interface SeedReport {
  /** Users whose history was sent (and stored). */
  users: number;
  /** Users left alone because their history equals the one last seeded (their digest matched). */
  unchanged: number;
  items: number;
  requests: number;
  erasedRows: number;
  transform: WeightTransform;
  seconds: number;
}

export interface SeedOptions extends AdminClientOptions {
  log?: (line: string) => void;
  erased?: ErasedCheck;
  /** Digests of what was seeded before: with them, users whose history is unchanged are not sent again. */
  digests?: SeededDigests;
  /** Send every user, whatever the digests say (a session store that lost its data, a Worker that was reset). */
  all?: boolean;
}

/**
 * Seeds every user of `dataset` with their history (POST /admin/histories)
 * under the weights of the built version in `versionDir`: the transform its
 * manifest records, so the Worker's fold-in weighs each item as that
 * version's training did. A history is replaced whole, so running it again
 * (after a new build, or after a failure) is safe. With `digests`, a user is
 * sent only when their history differs from the one last seeded (a new
 * transform changes every weight, and so every digest), each batch's digests
 * written once the Worker stored it; erased users' digests are deleted.
 */
export async function seedHistories(dataset: Dataset, versionDir: string, options: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const manifest = await readBuiltManifest(versionDir);
  const transform = versionTransform(manifest, dataset);
  if (!recordedTransform(manifest)) log(`version ${manifest.version} records no weight transform: the dataset kind's default is used`);
  const { users: all, erasedRows, erasedUsers } = await userHistories(dataset, transform, options.erased);
  const digestOf = new Map(all.map((u) => [u.userId, historyDigest(u.items)]));
  let users = all;
  if (options.digests) {
    const present = new Set(all.map((u) => u.userId));
    // Whatever raced with an erasure, an erased user keeps no digest (a returning user's new rows write a new one).
    await options.digests.forget(erasedUsers.filter((u) => !present.has(u)));
    if (!options.all) {
      const known = await options.digests.read(all.map((u) => u.userId));
      users = all.filter((u, i) => known[i] !== digestOf.get(u.userId));
    }
  }
  const batches = historyBatches(users);
  const unchanged = all.length - users.length;
  log(
    `histories of ${all.length} users, weighed as version ${manifest.version} trained (${describeTransform(transform)}): ` +
      (options.digests
        ? options.all
          ? `all sent (--all)`
          : `${users.length} changed since the last seeding, ${unchanged} unchanged`
        : "no digests of earlier seedings (no Redis access): all sent") +
      `, in ${batches.length} request(s)`,
  );
  const client = new AdminClient(options);
  const report: SeedReport = { users: 0, unchanged, items: 0, requests: 0, erasedRows, transform, seconds: 0 };
  let next = 0;
  const sender = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const answer = await client.seedHistories(batch);
      await options.digests?.write(batch.map((u) => [u.userId, digestOf.get(u.userId)!] as const));
      report.users += answer.users.length;
      report.items += answer.items;
      report.requests++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, batches.length) }, sender));
  report.seconds = (performance.now() - started) / 1000;
  log(
    `seeded ${report.users} users' histories, ${report.items} items, in ${report.seconds.toFixed(1)} s${unchanged > 0 ? `; ${unchanged} unchanged, not sent` : ""}${
      erasedRows > 0 ? ` (${erasedRows} rows of erased users left out)` : ""
    }`,
  );
  return report;
}
