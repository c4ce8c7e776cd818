import { MAX_HISTORY_BATCH_ITEMS, MAX_HISTORY_ITEMS, MAX_HISTORY_USERS, MAX_HISTORY_WEIGHT, type UserHistory } from "../../../shared/users/history";
import { datasetTransform, trainingTable } from "../build/training-table";
import { type IndexManifest } from "../../../shared/index-format/manifest";
import { type Dataset, type Interaction } from "../data/movielens";
import { describeTransform, type WeightTransform } from "../data/weights";
import { type ErasedCheck } from "../ingest/erasures";
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
export async function userHistories(dataset: Dataset, transform: WeightTransform, erased?: ErasedCheck): Promise<{ users: UserHistory[]; erasedRows: number }> {
  const kept: Interaction[] = [];
  let erasedRows = 0;
  for (const x of dataset.interactions) {
    if (x.type) continue;
    if (erased && (await erased(x.userId, x.timestampMs)) !== null) erasedRows++;
    else kept.push(x);
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
  return { users, erasedRows };
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

export interface SeedReport {
  users: number;
  items: number;
  requests: number;
  erasedRows: number;
  transform: WeightTransform;
  seconds: number;
}

/**
 * Seeds every user of `dataset` with their history (POST /admin/histories)
 * under the weights of the built version in `versionDir`: the transform its
 * manifest records, so the Worker's fold-in weighs each item as that
 * version's training did. A history is replaced whole, so running it again
 * (after a new build, or after a failure) is safe.
 */
export async function seedHistories(
  dataset: Dataset,
  versionDir: string,
  options: AdminClientOptions & { log?: (line: string) => void; erased?: ErasedCheck },
): Promise<SeedReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const manifest = await readBuiltManifest(versionDir);
  const transform = versionTransform(manifest, dataset);
  if (!recordedTransform(manifest)) log(`version ${manifest.version} records no weight transform: the dataset kind's default is used`);
  const { users, erasedRows } = await userHistories(dataset, transform, options.erased);
  const batches = historyBatches(users);
  log(`histories of ${users.length} users, weighed as version ${manifest.version} trained (${describeTransform(transform)}), in ${batches.length} request(s)`);
  const client = new AdminClient(options);
  const report: SeedReport = { users: 0, items: 0, requests: 0, erasedRows, transform, seconds: 0 };
  let next = 0;
  const sender = async () => {
    while (next < batches.length) {
      const answer = await client.seedHistories(batches[next++]!);
      report.users += answer.users.length;
      report.items += answer.items;
      report.requests++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, batches.length) }, sender));
  report.seconds = (performance.now() - started) / 1000;
  log(
    `seeded ${report.users} users' histories, ${report.items} items, in ${report.seconds.toFixed(1)} s${erasedRows > 0 ? ` (${erasedRows} rows of erased users left out)` : ""}`,
  );
  return report;
}
