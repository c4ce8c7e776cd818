import { sha256Hex } from "../checksum";
import { type BlobMetadata, type KvPort, type ManifestMetadata } from "./kv-port";
import {
  BLOB_KEY_PREFIX,
  blobKey,
  CURRENT_POINTER_KEY,
  type CurrentPointer,
  manifestKey,
  POINTER_HISTORY_KEY,
  type PointerHistory,
  VERSION_KEY_PREFIX,
} from "./keys";
import { type IndexManifest, parseManifest } from "./manifest";

/** Why a blob could not be used; reading goes on without it. */
export type BlobFault = "missing" | "checksum_mismatch";

export async function readCurrentPointer(kv: KvPort): Promise<CurrentPointer | null> {
  const text = await kv.get(CURRENT_POINTER_KEY, { type: "text" });
  return text === null ? null : (JSON.parse(text) as CurrentPointer);
}

export async function readPointerHistory(kv: KvPort): Promise<PointerHistory> {
  const text = await kv.get(POINTER_HISTORY_KEY, { type: "text" });
  return text === null ? [] : (JSON.parse(text) as PointerHistory);
}

export async function readManifest(kv: KvPort, version: string): Promise<IndexManifest | null> {
  const text = await kv.get(manifestKey(version), { type: "text" });
  return text === null ? null : parseManifest(JSON.parse(text));
}

/**
 * Reads one blob and checks it against the manifest's checksum. A missing or
 * corrupt blob is a value, not an exception: callers fall back and say so.
 */
export async function readVerifiedBlob(kv: KvPort, manifest: IndexManifest, name: string): Promise<{ bytes: Uint8Array } | { fault: BlobFault }> {
  const ref = manifest.blobs[name];
  if (!ref) return { fault: "missing" };
  const buffer = await kv.get(blobKey(ref.sha256), { type: "arrayBuffer" });
  if (buffer === null) return { fault: "missing" };
  if ((await sha256Hex(buffer)) !== ref.sha256) return { fault: "checksum_mismatch" };
  return { bytes: new Uint8Array(buffer) };
}

/** One page of stored blobs (at most 1000), by content address. */
export async function listBlobs(kv: KvPort, cursor: string | null): Promise<{ blobs: BlobMetadata[]; cursor: string | null }> {
  const page = await kv.list<BlobMetadata>({ prefix: BLOB_KEY_PREFIX, cursor, limit: 1000 });
  const blobs = page.keys.map((key) => {
    const sha256 = key.name.slice(BLOB_KEY_PREFIX.length);
    return { bytes: 0, contentType: "application/octet-stream", ...key.metadata, sha256 };
  });
  return { blobs, cursor: page.list_complete ? null : (page.cursor ?? null) };
}

/** Every published version with its build time (null for manifests stored without metadata). */
export async function listVersions(kv: KvPort): Promise<{ version: string; builtAt: string | null }[]> {
  const out: { version: string; builtAt: string | null }[] = [];
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<KvPort["list"]>> = await kv.list<ManifestMetadata>({ prefix: VERSION_KEY_PREFIX, cursor, limit: 1000 });
    for (const key of page.keys) {
      if (!key.name.endsWith("/manifest")) continue;
      const version = key.name.slice(VERSION_KEY_PREFIX.length, -"/manifest".length);
      out.push({ version, builtAt: (key.metadata as ManifestMetadata | undefined)?.builtAt ?? null });
    }
    cursor = page.list_complete ? null : (page.cursor ?? null);
  } while (cursor);
  return out;
}
