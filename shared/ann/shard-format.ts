import { AppError } from "../errors";
import { type InvertedList, type IvfPqParams } from "./ivfpq-index";
import { metricCode, metricFromCode } from "./metric";
import { pq4Bytes } from "./pq4";

/** "ANNS" read as a little-endian u32. */
export const SHARD_MAGIC = 0x534e4e41;
export const SHARD_FORMAT_VERSION = 1;
export const SHARD_HEADER_BYTES = 64;

/** A shard's header fields (bytes 0..63, little-endian). */
export interface ShardHeader {
  formatVersion: number;
  params: IvfPqParams;
  firstList: number;
  listCount: number;
  vectors: number;
}

/**
 * Encodes consecutive inverted lists as one KV value:
 *
 *   0  u32 magic "ANNS"      4  u16 format version   6  u8 metric (0 ip, 1 l2)
 *   7  u8 nbits (4 or 8)     8  u16 dims            10  u16 m
 *   12 u32 nlist            16  u32 first list      20  u32 list count
 *   24 u32 vectors          28  u8 rescore (0 none, 1 sq8)
 *   29 u8 flags (bit 0: a facts page follows), then zeros to 64
 *   64 u32 offsets, size listCount+1: list j is vectors [offsets[j], offsets[j+1])
 *   then u32 ids (size vectors); PQ codes, list after list (n*m bytes for
 *   8 bits, pq4Bytes(n, m) for 4), padded to 4 bytes; u8 SQ8 codes (size vectors*dims)
 *   padded to 4 bytes; then, with flag bit 0, the facts page to the end.
 *
 * The facts page is opaque here: for lists of item-table rows the builder
 * stores the ranking facts and ids of the shard's rows in it (an item page,
 * shared/catalog/item-page.ts, in row order), so a search names and ranks
 * its results from the shard alone, without a read per result.
 *
 * Every section starts 4-byte aligned, so views need no copy. The checksum is
 * the blob's SHA-256 in the manifest, verified before decoding.
 */
export function encodeShard(params: IvfPqParams, firstList: number, lists: InvertedList[], facts: Uint8Array | null = null): Uint8Array {
  const { dims } = params;
  const vectors = lists.reduce((sum, l) => sum + l.ids.length, 0);
  const codeBytes = lists.reduce((sum, l) => sum + listCodeBytes(params, l.ids.length), 0);
  const base = shardBytes(params, lists.length, vectors, codeBytes);
  const bytes = new Uint8Array(base + (facts?.byteLength ?? 0));
  if (facts) bytes.set(facts, base);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, SHARD_MAGIC, true);
  view.setUint16(4, SHARD_FORMAT_VERSION, true);
  view.setUint8(6, metricCode(params.metric));
  view.setUint8(7, params.nbits);
  view.setUint16(8, dims, true);
  view.setUint16(10, params.m, true);
  view.setUint32(12, params.nlist, true);
  view.setUint32(16, firstList, true);
  view.setUint32(20, lists.length, true);
  view.setUint32(24, vectors, true);
  view.setUint8(28, params.rescore === "sq8" ? 1 : 0);
  view.setUint8(29, facts ? FACTS_FLAG : 0);
  const { offsets, ids, codes, sq8 } = sections(bytes, params, lists.length, vectors, codeBytes);
  let at = 0;
  let codeAt = 0;
  lists.forEach((list, j) => {
    offsets[j] = at;
    ids.set(list.ids, at);
    codes.set(list.codes, codeAt);
    if (sq8 && list.sq8) sq8.set(list.sq8, at * dims);
    at += list.ids.length;
    codeAt += listCodeBytes(params, list.ids.length);
  });
  offsets[lists.length] = at;
  return bytes;
}

/** PQ code bytes of one list of n vectors. */
export function listCodeBytes(params: IvfPqParams, n: number): number {
  return params.nbits === 4 ? pq4Bytes(n, params.m) : n * params.m;
}

/** Size in bytes of a shard of `listCount` lists holding `vectors` vectors with `codeBytes` bytes of PQ codes. */
export function shardBytes(params: IvfPqParams, listCount: number, vectors: number, codeBytes: number): number {
  const sq8 = params.rescore === "sq8" ? vectors * params.dims : 0;
  return SHARD_HEADER_BYTES + 4 * (listCount + 1) + 4 * vectors + align4(codeBytes) + align4(sq8);
}

export function readShardHeader(bytes: Uint8Array): ShardHeader {
  if (bytes.byteLength < SHARD_HEADER_BYTES) throw corrupt("is shorter than its header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== SHARD_MAGIC) throw corrupt("has no ANNS magic");
  const metric = metricFromCode(view.getUint8(6));
  if (!metric) throw corrupt("names an unknown metric");
  const nbits = view.getUint8(7);
  if (nbits !== 4 && nbits !== 8) throw corrupt(`has ${nbits}-bit codes`);
  return {
    formatVersion: view.getUint16(4, true),
    params: {
      metric,
      nbits,
      dims: view.getUint16(8, true),
      m: view.getUint16(10, true),
      nlist: view.getUint32(12, true),
      rescore: view.getUint8(28) === 1 ? "sq8" : "none",
    },
    firstList: view.getUint32(16, true),
    listCount: view.getUint32(20, true),
    vectors: view.getUint32(24, true),
  };
}

/**
 * Decodes a shard into views over its bytes (no copy when `bytes` is 4-byte
 * aligned), after checking that its header matches what the manifest says.
 */
export function decodeShard(bytes: Uint8Array, expected: IvfPqParams & { firstList: number; listCount: number }): InvertedList[] {
  const header = readShardHeader(bytes);
  const p = header.params;
  if (header.formatVersion !== SHARD_FORMAT_VERSION) throw corrupt(`has format ${header.formatVersion}`);
  const differs = (["metric", "dims", "m", "nlist", "rescore", "nbits"] as const).some((key) => p[key] !== expected[key]);
  if (differs) {
    throw corrupt("parameters differ from the manifest's");
  }
  if (header.firstList !== expected.firstList || header.listCount !== expected.listCount) throw corrupt("holds other lists than the manifest says");
  if (bytes.byteLength < SHARD_HEADER_BYTES + 4 * (header.listCount + 1)) throw corrupt("has the wrong length");
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const offsets = new Uint32Array(aligned.buffer, aligned.byteOffset + SHARD_HEADER_BYTES, header.listCount + 1);
  let codeBytes = 0;
  for (let j = 0; j < header.listCount; j++) {
    if (!(offsets[j]! <= offsets[j + 1]! && offsets[j + 1]! <= header.vectors)) throw corrupt("has offsets out of order");
    codeBytes += listCodeBytes(p, offsets[j + 1]! - offsets[j]!);
  }
  const base = shardBytes(p, header.listCount, header.vectors, codeBytes);
  if (hasFacts(bytes) ? bytes.byteLength <= base : bytes.byteLength !== base) throw corrupt("has the wrong length");
  const { ids, codes, sq8 } = sections(aligned, p, header.listCount, header.vectors, codeBytes);
  let codeAt = 0;
  return Array.from({ length: header.listCount }, (_, j) => {
    const [start, end] = [offsets[j]!, offsets[j + 1]!];
    const size = listCodeBytes(p, end - start);
    codeAt += size;
    return {
      ids: ids.subarray(start, end),
      codes: codes.subarray(codeAt - size, codeAt),
      sq8: sq8 ? sq8.subarray(start * p.dims, end * p.dims) : null,
    };
  });
}

const FACTS_FLAG = 1;

function hasFacts(bytes: Uint8Array): boolean {
  return (bytes[29]! & FACTS_FLAG) !== 0;
}

/**
 * The facts page stored after a shard's lists (see encodeShard), or null
 * when it has none. Call after `decodeShard` accepted the bytes.
 */
export function shardFacts(bytes: Uint8Array): Uint8Array | null {
  if (!hasFacts(bytes)) return null;
  const header = readShardHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let codeBytes = 0;
  for (let j = 0; j < header.listCount; j++) {
    const at = SHARD_HEADER_BYTES + 4 * j;
    codeBytes += listCodeBytes(header.params, view.getUint32(at + 4, true) - view.getUint32(at, true));
  }
  return bytes.subarray(shardBytes(header.params, header.listCount, header.vectors, codeBytes));
}

function sections(bytes: Uint8Array, params: IvfPqParams, listCount: number, vectors: number, codeBytes: number) {
  let at = bytes.byteOffset + SHARD_HEADER_BYTES;
  const offsets = new Uint32Array(bytes.buffer, at, listCount + 1);
  at += 4 * (listCount + 1);
  const ids = new Uint32Array(bytes.buffer, at, vectors);
  at += 4 * vectors;
  const codes = new Uint8Array(bytes.buffer, at, codeBytes);
  at += align4(codeBytes);
  const sq8 = params.rescore === "sq8" ? new Uint8Array(bytes.buffer, at, vectors * params.dims) : null;
  return { offsets, ids, codes, sq8 };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function corrupt(what: string): AppError {
  return new AppError("invalid_manifest", `ANN shard ${what}`);
}
