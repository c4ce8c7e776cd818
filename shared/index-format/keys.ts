/**
 * KV layout of published indexes. Versions are immutable: every blob of a
 * version is written first, its manifest next, and `CURRENT_POINTER_KEY`
 * last, so a reader never sees half a version.
 */
export const CURRENT_POINTER_KEY = "index/current";

export const VERSION_PATTERN = /^[0-9A-Za-z._-]{1,64}$/;
export const BLOB_NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export function manifestKey(version: string): string {
  return `index/v/${version}/manifest`;
}

export function blobKey(version: string, name: string): string {
  return `index/v/${version}/blob/${name}`;
}

/** The value stored at `CURRENT_POINTER_KEY`. */
export interface CurrentPointer {
  version: string;
  /** ISO-8601 time of publication. */
  publishedAt: string;
}
