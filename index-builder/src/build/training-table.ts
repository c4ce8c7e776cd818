import { eventWeight, ratingWeight } from "../../../shared/embeddings/event-weights";
import { type Dataset } from "../data/movielens";
import { type InteractionTable, tableFromRows } from "../train/interaction-table";

/**
 * The dataset as the trainers take it: every catalog item has an index, and
 * each interaction carries the signed weight serving also uses
 * (shared/embeddings/event-weights.ts): live events by their type, dataset
 * ratings by their stars.
 */
export function trainingTable(dataset: Dataset): InteractionTable {
  return tableFromRows(
    dataset.interactions.map((x) => ({
      userId: x.userId,
      itemId: x.itemId,
      value: x.type
        ? eventWeight(x.type, { value: x.rating ?? undefined, seconds: x.seconds })
        : x.rating === null
          ? 1
          : ratingWeight(x.rating),
      timestampSec: x.timestampMs / 1000,
    })),
    dataset.items.map((item) => item.itemId),
  );
}
