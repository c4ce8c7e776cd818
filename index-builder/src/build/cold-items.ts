import { type ContentModel, contentVector } from "../../../shared/embeddings/content-vector";
import { type Dataset } from "../data/movielens";
import { fitContentModel } from "../train/content-regression";
import { type InteractionTable } from "../train/interaction-table";
import { type TrainedEmbeddings } from "../train/train-ials";

/**
 * Fits the content-to-embedding map on items with interactions and writes
 * each item without any interaction its content vector in place (ALS leaves
 * such rows near zero, where no query can find them). `embeddings` rows
 * follow `table.itemIds`. `counts` (size items) says how well each row's
 * vector is trained, 0 for none; default: its interactions in `table`.
 */
export function placeColdItems(
  dataset: Dataset,
  table: InteractionTable,
  embeddings: TrainedEmbeddings,
  counts: Uint32Array = interactionCounts(table),
): { model: ContentModel; placed: number } {
  const byId = new Map(dataset.items.map((item) => [item.itemId, item]));
  const rows = table.itemIds.map((id) => byId.get(id) ?? { itemId: id, title: id, categories: [], year: null, tags: [], available: true });
  const model = fitContentModel(rows, embeddings.itemVectors, embeddings.dims, counts);
  const d = embeddings.dims;
  let placed = 0;
  rows.forEach((item, row) => {
    if (counts[row] !== 0) return;
    contentVector(model, item, embeddings.itemVectors.subarray(row * d, (row + 1) * d));
    placed++;
  });
  return { model, placed };
}

/** Interactions of each item of the table, size itemIds.length. */
export function interactionCounts(table: InteractionTable): Uint32Array {
  const counts = new Uint32Array(table.itemIds.length);
  for (const item of table.items) counts[item]!++;
  return counts;
}
