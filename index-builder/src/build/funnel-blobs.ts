import { encodeItemTable } from "../../../shared/catalog/item-table";
import { type CovisitLists } from "../../../shared/covisit/covisit-lists";
import { encodeCovisit } from "../../../shared/covisit/covisit-codec";
import {
  type FoldInBlob,
  FUNNEL_BLOBS,
  FUNNEL_FORMAT_VERSION,
  type FunnelSection,
  vectorPageName,
} from "../../../shared/index-format/funnel-section";
import { type Dataset } from "../data/movielens";
import { type TrainedEmbeddings } from "../train/train-ials";

/** Items per vector page: 256 × 64 dims × 4 bytes = 64 KiB, so fold-in reads few small values. */
export const VECTOR_PAGE_SIZE = 256;

type Blob = { bytes: Uint8Array; contentType: string };

/**
 * The serving funnel's blobs: the item table (ranking facts by id), the
 * co-visitation lists and item vectors re-addressed by item-table row, and
 * the fold-in data. `embeddings` and `covisit` must share one item index
 * space (the same interaction table).
 */
export function buildFunnelBlobs(
  dataset: Dataset,
  embeddings: TrainedEmbeddings,
  covisit: CovisitLists,
  popularity: Map<string, number>,
): { blobs: Map<string, Blob>; section: FunnelSection } {
  const categories = [...new Set(dataset.items.flatMap((item) => item.categories))].sort().slice(0, 32);
  const categoryIndex = new Map(categories.map((c, i) => [c, i]));
  const facts = new Map(dataset.items.map((item) => [item.itemId, item]));
  const { bytes: table, order } = encodeItemTable(
    embeddings.itemIds.map((itemId) => {
      const item = facts.get(itemId);
      return {
        itemId,
        categories: (item?.categories ?? []).flatMap((c) => (categoryIndex.has(c) ? [categoryIndex.get(c)!] : [])),
        year: item?.year ?? null,
        popularity: popularity.get(itemId) ?? 0,
        available: item?.available ?? true,
      };
    }),
    categories.length,
  );
  // Training index -> item-table row.
  const rowOf = new Map(order.map((id, row) => [id, row]));
  const toRow = Uint32Array.from(embeddings.itemIds, (id) => rowOf.get(id)!);

  const dims = embeddings.dims;
  const n = order.length;
  const vectors = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) vectors.set(embeddings.itemVectors.subarray(i * dims, (i + 1) * dims), toRow[i]! * dims);
  const blobs = new Map<string, Blob>([
    [FUNNEL_BLOBS.itemTable, { bytes: table, contentType: "application/octet-stream" }],
    [FUNNEL_BLOBS.covisit, { bytes: encodeCovisit(remapCovisit(covisit, toRow)), contentType: "application/octet-stream" }],
  ]);
  const foldIn: FoldInBlob = { dims, params: embeddings.params, gram: Array.from(embeddings.gram), itemCount: n };
  blobs.set(FUNNEL_BLOBS.foldIn, { bytes: new TextEncoder().encode(JSON.stringify(foldIn)), contentType: "application/json" });
  const pages = Math.ceil(n / VECTOR_PAGE_SIZE);
  for (let p = 0; p < pages; p++) {
    const page = vectors.slice(p * VECTOR_PAGE_SIZE * dims, Math.min(n, (p + 1) * VECTOR_PAGE_SIZE) * dims);
    blobs.set(vectorPageName(p), { bytes: new Uint8Array(page.buffer), contentType: "application/octet-stream" });
  }
  return {
    blobs,
    section: {
      formatVersion: FUNNEL_FORMAT_VERSION,
      categories,
      itemCount: n,
      dims,
      embedding: `ials-${dims}`,
      vectorPageSize: VECTOR_PAGE_SIZE,
      vectorPages: pages,
    },
  };
}

/** The same lists with every item index mapped through `toRow`, rows in the new order. */
export function remapCovisit(lists: CovisitLists, toRow: Uint32Array): CovisitLists {
  const n = lists.offsets.length - 1;
  const fromRow = new Uint32Array(n);
  toRow.forEach((row, i) => (fromRow[row] = i));
  const offsets = new Uint32Array(n + 1);
  const neighbors = new Uint32Array(lists.neighbors.length);
  const scores = new Float32Array(lists.scores.length);
  let at = 0;
  for (let row = 0; row < n; row++) {
    const i = fromRow[row]!;
    offsets[row] = at;
    for (let k = lists.offsets[i]!; k < lists.offsets[i + 1]!; k++) {
      neighbors[at] = toRow[lists.neighbors[k]!]!;
      scores[at] = lists.scores[k]!;
      at++;
    }
  }
  offsets[n] = at;
  return { offsets, neighbors, scores };
}
