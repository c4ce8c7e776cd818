import { AppError } from "../errors";
import { ANN_BLOBS, ANN_FORMAT_VERSION, type AnnItems, type AnnManifestSection, type AnnShardRef } from "./ann-manifest";
import { type IvfPqHead, type IvfPqIndex, type IvfPqParams } from "./ivfpq-index";
import { ksubOf, transposeCodebooks } from "./product-quantizer";
import { encodeShard, listCodeBytes, shardBytes } from "./shard-format";

/** KV's value limit; no shard may reach it. */
export const SHARD_LIMIT_BYTES = 25 * 1024 * 1024;
/** A few MiB: big enough that a probe rarely crosses shards, small enough to fetch and verify fast. */
export const DEFAULT_SHARD_TARGET_BYTES = 4 * 1024 * 1024;

export interface EncodedBlob {
  bytes: Uint8Array;
  contentType: string;
}

/**
 * Turns a built index into the blobs published to KV and the manifest's
 * `ann` section. Consecutive lists are packed into shards up to
 * `shardTargetBytes`; a single list larger than the KV limit is an error.
 */
export function encodeAnnIndex(
  index: IvfPqIndex,
  itemIds: string[],
  options: {
    embedding: string;
    shardTargetBytes?: number;
    /** Item-table row of every indexed position: stored in the lists instead of positions, and no `ann-items` blob. */
    tableRows?: Uint32Array;
    /**
     * With `tableRows`: the facts page stored in each shard for the rows it
     * holds (given ascending), so serving ranks a shard's results without
     * reading their item-table pages (shard-format.ts).
     */
    factsPage?: (rows: Uint32Array) => Uint8Array;
  },
): { blobs: Map<string, EncodedBlob>; section: AnnManifestSection } {
  const { params } = index;
  if (itemIds.length !== index.listOf.length) throw new AppError("invalid_request", "one item id per indexed vector is needed");
  const rows = options.tableRows;
  if (rows && rows.length !== itemIds.length) throw new AppError("invalid_request", "one item-table row per indexed vector is needed");
  const target = Math.min(options.shardTargetBytes ?? DEFAULT_SHARD_TARGET_BYTES, SHARD_LIMIT_BYTES - 1);
  const binary = "application/octet-stream";
  const blobs = new Map<string, EncodedBlob>([
    [ANN_BLOBS.centroids, { bytes: floatBytes(index.centroids), contentType: binary }],
    [ANN_BLOBS.codebooks, { bytes: floatBytes(index.codebooks), contentType: binary }],
  ]);
  if (index.sq8) {
    const both = new Float32Array(2 * params.dims);
    both.set(index.sq8.min);
    both.set(index.sq8.step, params.dims);
    blobs.set(ANN_BLOBS.sq8, { bytes: floatBytes(both), contentType: binary });
  }
  if (!rows) {
    const items: AnnItems = { ids: itemIds, lists: Array.from(index.listOf) };
    blobs.set(ANN_BLOBS.items, { bytes: new TextEncoder().encode(JSON.stringify(items)), contentType: "application/json" });
  }
  const lists = rows ? index.lists.map((list) => ({ ...list, ids: Uint32Array.from(list.ids, (position) => rows[position]!) })) : index.lists;

  const shards: AnnShardRef[] = [];
  for (const run of planShards(
    params,
    index.lists.map((l) => l.ids.length),
    target,
  )) {
    const name = `ann-shard-${String(shards.length).padStart(4, "0")}`;
    const runLists = lists.slice(run.firstList, run.firstList + run.listCount);
    const facts = rows && options.factsPage ? options.factsPage(ascendingRows(runLists)) : null;
    const bytes = encodeShard(params, run.firstList, runLists, facts);
    blobs.set(name, { bytes, contentType: binary });
    shards.push({ name, ...run });
  }
  const section: AnnManifestSection = {
    formatVersion: ANN_FORMAT_VERSION,
    ...params,
    count: itemIds.length,
    embedding: options.embedding,
    shards,
    ...(rows ? { idSpace: "item-table" as const } : {}),
  };
  return { blobs, section };
}

function ascendingRows(lists: readonly { ids: Uint32Array }[]): Uint32Array {
  const rows = new Uint32Array(lists.reduce((sum, l) => sum + l.ids.length, 0));
  let at = 0;
  for (const list of lists) {
    rows.set(list.ids, at);
    at += list.ids.length;
  }
  return rows.sort();
}

/** Greedy runs of consecutive lists whose shard stays under `target` bytes (a run always holds at least one list). */
export function planShards(params: IvfPqParams, listSizes: number[], target: number): Omit<AnnShardRef, "name">[] {
  const runs: Omit<AnnShardRef, "name">[] = [];
  let first = 0;
  let vectors = 0;
  let codeBytes = 0;
  for (let l = 0; l < listSizes.length; l++) {
    const size = listSizes[l]!;
    const codes = listCodeBytes(params, size);
    if (shardBytes(params, 1, size, codes) >= SHARD_LIMIT_BYTES) {
      throw new AppError("payload_too_large", `inverted list ${l} alone (${size} vectors) exceeds the KV value limit; use more lists`);
    }
    if (l > first && shardBytes(params, l - first + 1, vectors + size, codeBytes + codes) > target) {
      runs.push({ firstList: first, listCount: l - first, vectors });
      first = l;
      vectors = 0;
      codeBytes = 0;
    }
    vectors += size;
    codeBytes += codes;
  }
  runs.push({ firstList: first, listCount: listSizes.length - first, vectors });
  return runs;
}

/** Rebuilds the search head from the verified head blobs. */
export function decodeAnnHead(section: AnnManifestSection, blobs: { centroids: Uint8Array; codebooks: Uint8Array; sq8: Uint8Array | null }): IvfPqHead {
  const { dims, nlist, m, nbits } = section;
  const params: IvfPqParams = { metric: section.metric, dims, nlist, m, nbits, rescore: section.rescore };
  const centroids = floats(blobs.centroids, nlist * dims, "centroids");
  const codebooks = floats(blobs.codebooks, ksubOf(nbits) * dims, "codebooks");
  let sq8 = null;
  if (section.rescore === "sq8") {
    if (!blobs.sq8) throw new AppError("invalid_manifest", "ANN index lacks its sq8 blob");
    const both = floats(blobs.sq8, 2 * dims, "sq8");
    sq8 = { min: both.slice(0, dims), step: both.slice(dims) };
  }
  return { params, centroids, codebooks, codebooksT: transposeCodebooks(codebooks, m, ksubOf(nbits)), sq8 };
}

export function floatBytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

function floats(bytes: Uint8Array, count: number, what: string): Float32Array {
  if (bytes.byteLength !== count * 4) throw new AppError("invalid_manifest", `ANN ${what} blob has ${bytes.byteLength} bytes, not ${count * 4}`);
  return new Float32Array(bytes.slice().buffer);
}
