/**
 * KV layout of published indexes. Blobs are content-addressed (keyed by the
 * SHA-256 of their bytes), so versions that share a blob share one value and
 * a new version uploads only what changed. A version is its manifest, which
 * names each blob's checksum. Every blob is written first, the manifest next,
 * and `CURRENT_POINTER_KEY` last, so a reader never sees half a version.
 */
export const CURRENT_POINTER_KEY = "index/current";
/** The versions the current pointer named, oldest first (JSON `PointerHistory`): rollback's and GC's memory. */
export const POINTER_HISTORY_KEY = "index/history";
export const BLOB_KEY_PREFIX = "index/blob/";
export const VERSION_KEY_PREFIX = "index/v/";

export const VERSION_PATTERN = /^[0-9A-Za-z._-]{1,64}$/;
export const BLOB_NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export function manifestKey(version: string): string {
  return `${VERSION_KEY_PREFIX}${version}/manifest`;
}

/** When a version first served traffic: the time its catalog snapshot reached D1 (see CurrentPointer.catalogAsOf). */
export function liveSinceKey(version: string): string {
  return `${VERSION_KEY_PREFIX}${version}/live-since`;
}

/** The one value holding the bytes whose lower-case hex SHA-256 is `sha256`. */
export function blobKey(sha256: string): string {
  return `${BLOB_KEY_PREFIX}${sha256}`;
}

/** The value stored at `CURRENT_POINTER_KEY`. */
export interface CurrentPointer {
  version: string;
  /** ISO-8601 time of publication. */
  publishedAt: string;
  /**
   * ISO-8601 time the version first went live, when its catalog rows had just
   * been written to D1: catalog rows written later are news to it. Equal to
   * `publishedAt` on a first publication, earlier after a rollback, so the
   * catalog overlay still shows what changed since that version was built.
   * Absent in pointers written before it existed: readers use `publishedAt`.
   */
  catalogAsOf?: string;
}

/** The last versions made current, oldest first (at most POINTER_HISTORY_LIMIT). */
export type PointerHistory = { version: string; at: string }[];
export const POINTER_HISTORY_LIMIT = 100;
