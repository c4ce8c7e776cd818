import { eventWeight } from "../../../shared/embeddings/event-weights";
import { type Dataset } from "../data/movielens";
import { defaultTransform, isCountKind, transformWeight, type WeightTransform } from "../data/weights";
import { type InteractionTable, type RawInteraction, tableFromRows } from "../train/interaction-table";

/**
 * The dataset as the trainers take it: every catalog item has an index, and
 * each row carries a signed weight. Live events weigh by their type, as
 * serving weighs them (shared/embeddings/event-weights.ts). Dataset rows
 * weigh by the dataset's kind (data/weights.ts): ratings row by row through
 * `transform` (r ≥ 3 a like, below a dislike); counts (plays, purchases,
 * clicks) are first summed per (user, item) pair, one row per pair at its
 * latest time, then transformed, so no count is ever a dislike and no raw
 * count reaches a trainer. `transform` defaults to the kind's own
 * (`defaultTransform`); tuning passes others.
 */
export function trainingTable(dataset: Dataset, transform: WeightTransform = datasetTransform(dataset)): InteractionTable {
  return trainingTableRows(dataset, transform).table;
}

/** trainingTable, and for each dataset interaction the table row it went into (a count pair's rows share one). */
export function trainingTableRows(dataset: Dataset, transform: WeightTransform = datasetTransform(dataset)): { table: InteractionTable; rowOf: Uint32Array } {
  const rows: RawInteraction[] = [];
  const pairs = new Map<string, { row: RawInteraction; index: number }>();
  const rowOf = new Uint32Array(dataset.interactions.length);
  const counts = isCountKind(dataset.weightKind ?? "ratings");
  dataset.interactions.forEach((x, i) => {
    const timestampSec = x.timestampMs / 1000;
    if (x.type) {
      rowOf[i] = rows.length;
      rows.push({ userId: x.userId, itemId: x.itemId, value: eventWeight(x.type, { value: x.rating ?? undefined, seconds: x.seconds }), timestampSec });
    } else if (!counts) {
      rowOf[i] = rows.length;
      rows.push({ userId: x.userId, itemId: x.itemId, value: x.rating === null ? 1 : transformWeight(x.rating, transform), timestampSec });
    } else {
      const key = `${x.userId}\u0000${x.itemId}`;
      const pair = pairs.get(key);
      if (pair) {
        pair.row.value += x.count ?? 1;
        pair.row.timestampSec = Math.max(pair.row.timestampSec, timestampSec);
        rowOf[i] = pair.index;
      } else {
        const row = { userId: x.userId, itemId: x.itemId, value: x.count ?? 1, timestampSec };
        pairs.set(key, { row, index: rows.length });
        rowOf[i] = rows.length;
        rows.push(row);
      }
    }
  });
  for (const { row } of pairs.values()) row.value = transformWeight(row.value, transform);
  const table = tableFromRows(
    rows,
    dataset.items.map((item) => item.itemId),
  );
  return { table, rowOf };
}

/** The kind's default transform, ε from the dataset's own pair counts. */
export function datasetTransform(dataset: Dataset): WeightTransform {
  return defaultTransform(dataset.weightKind ?? "ratings", isCountKind(dataset.weightKind ?? "ratings") ? pairCounts(dataset) : [], dataset.ratingMax);
}

/** Summed count of every (user, item) pair of dataset rows (live events left out). */
export function pairCounts(dataset: Dataset): Float64Array {
  const sums = new Map<string, number>();
  for (const x of dataset.interactions) {
    if (x.type) continue;
    const key = `${x.userId}\u0000${x.itemId}`;
    sums.set(key, (sums.get(key) ?? 0) + (x.count ?? 1));
  }
  return Float64Array.from(sums.values());
}
