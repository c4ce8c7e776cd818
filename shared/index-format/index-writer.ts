import { sha256Hex } from "../checksum";
import { AppError } from "../errors";
import { type BlobMetadata, type KvListPage, type KvPort, type ManifestMetadata } from "./kv-port";
import {
  BLOB_KEY_PREFIX,
  blobKey,
  CURRENT_POINTER_KEY,
  type CurrentPointer,
  liveSinceKey,
  manifestKey,
  POINTER_HISTORY_LIMIT,
  POINTER_HISTORY_KEY,
  SHA256_PATTERN,
  VERSION_PATTERN,
} from "./keys";
import { type IndexManifest, parseManifest } from "./manifest";
import { readCurrentPointer, readManifest, readPointerHistory } from "./index-reader";

/** Largest value KV stores (25 MiB). */
export const KV_VALUE_LIMIT_BYTES = 25 * 1024 * 1024;

/** Blob reads in flight while a manifest is checked. */
const CHECK_CONCURRENCY = 32;
/** Manifests listing more blobs than this are checked against a listing first (a 1M-item index lists ~14k). */
const LIST_FIRST_ABOVE = 200;

/**
 * Stores one blob under its content address after checking its declared
 * checksum. Identical bytes are stored once, whichever versions list them:
 * re-sending them is a no-op.
 */
export async function putBlob(
  kv: KvPort,
  bytes: Uint8Array,
  declared: { sha256: string; contentType: string },
  nowMs = Date.now(),
): Promise<"stored" | "unchanged"> {
  if (bytes.byteLength > KV_VALUE_LIMIT_BYTES) {
    throw new AppError("payload_too_large", `blob is ${bytes.byteLength} bytes; KV holds at most ${KV_VALUE_LIMIT_BYTES}`);
  }
  const sha256 = await sha256Hex(bytes);
  if (sha256 !== declared.sha256.toLowerCase()) {
    throw new AppError("checksum_mismatch", `blob has sha256 ${sha256}, not the declared ${declared.sha256}`);
  }
  if (await blobMetadata(kv, sha256)) return "unchanged";
  const metadata: BlobMetadata = { sha256, bytes: bytes.byteLength, contentType: declared.contentType, storedAtMs: nowMs };
  await kv.put(blobKey(sha256), toArrayBuffer(bytes), { metadata });
  return "stored";
}

/**
 * Stores several blobs, each under its content address, after checking every
 * declared checksum: one mismatch refuses the whole batch and nothing is
 * written. No existence check first (the caller asked `presentBlobs` which
 * are missing); re-storing identical bytes only renews `storedAtMs`.
 */
export async function putBlobs(kv: KvPort, blobs: { bytes: Uint8Array; sha256: string; contentType: string }[], nowMs = Date.now()): Promise<number> {
  const checked = await Promise.all(
    blobs.map(async (blob) => {
      if (blob.bytes.byteLength > KV_VALUE_LIMIT_BYTES) {
        throw new AppError(
          "payload_too_large",
          `blob ${blob.sha256} is ${blob.bytes.byteLength} bytes; KV holds at most ${KV_VALUE_LIMIT_BYTES}; nothing was stored`,
        );
      }
      const sha256 = await sha256Hex(blob.bytes);
      if (sha256 !== blob.sha256.toLowerCase()) {
        throw new AppError("checksum_mismatch", `a blob has sha256 ${sha256}, not the declared ${blob.sha256}; nothing was stored`);
      }
      return { ...blob, sha256 };
    }),
  );
  await Promise.all(
    checked.map((b) =>
      kv.put(blobKey(b.sha256), toArrayBuffer(b.bytes), {
        metadata: { sha256: b.sha256, bytes: b.bytes.byteLength, contentType: b.contentType, storedAtMs: nowMs } satisfies BlobMetadata,
      }),
    ),
  );
  return checked.length;
}

/**
 * Which of `wanted` (checksums) are stored, verified by their metadata.
 * Many are answered by one listing (1000 keys a KV operation; a 1M-item
 * index has ~14k blobs); KV lists are eventually consistent, so whatever
 * the listing lacks (a fresh upload) is then read on its own, unless
 * `trustListing` (an upload's lookup: a blob the listing missed is only
 * sent again, while reading thousands of absent keys one by one is slow).
 */
export async function presentBlobs(kv: KvPort, wanted: ReadonlySet<string>, trustListing = false): Promise<Set<string>> {
  const present = new Set<string>();
  if (wanted.size > LIST_FIRST_ABOVE) {
    let cursor: string | null = null;
    do {
      const page: KvListPage<BlobMetadata> = await kv.list<BlobMetadata>({ prefix: BLOB_KEY_PREFIX, cursor, limit: 1000 });
      for (const key of page.keys) {
        const sha256 = key.name.slice(BLOB_KEY_PREFIX.length);
        if (wanted.has(sha256) && key.metadata?.sha256 === sha256) present.add(sha256);
      }
      cursor = page.list_complete ? null : (page.cursor ?? null);
    } while (cursor);
  }
  if (trustListing && wanted.size > LIST_FIRST_ABOVE) return present;
  const unlisted = [...wanted].filter((sha256) => !present.has(sha256));
  for (let i = 0; i < unlisted.length; i += CHECK_CONCURRENCY) {
    const chunk = unlisted.slice(i, i + CHECK_CONCURRENCY);
    const found = await Promise.all(chunk.map((sha256) => blobMetadata(kv, sha256)));
    chunk.forEach((sha256, k) => found[k] && present.add(sha256));
  }
  return present;
}

/**
 * Stores a version's manifest once every blob it lists is present with the
 * listed checksum, so that a manifest never points at a missing blob. The
 * current version's blobs are not looked up again: deleteBlob refuses them.
 * Versions are immutable: a different manifest under the same version is a conflict.
 */
export async function putManifest(kv: KvPort, value: unknown): Promise<IndexManifest> {
  const manifest = parseManifest(value);
  const wanted = new Map(Object.entries(manifest.blobs).map(([name, ref]) => [ref.sha256, name]));
  const current = await readCurrentPointer(kv);
  const serving = current && current.version !== manifest.version ? await readManifest(kv, current.version) : null;
  for (const ref of Object.values(serving?.blobs ?? {})) wanted.delete(ref.sha256);
  const present = await presentBlobs(kv, new Set(wanted.keys()));
  const missing = [...wanted].find(([sha256]) => !present.has(sha256));
  if (missing) throw new AppError("index_incomplete", `blob "${missing[1]}" of version ${manifest.version} has not been uploaded`);
  const text = JSON.stringify(manifest);
  const existing = await kv.get(manifestKey(manifest.version), { type: "text" });
  if (existing !== null && existing !== text) {
    throw new AppError("version_conflict", `version ${manifest.version} already has a different manifest; versions are immutable`);
  }
  const metadata: ManifestMetadata = { builtAt: manifest.builtAt, blobs: Object.keys(manifest.blobs).length };
  if (existing === null) await kv.put(manifestKey(manifest.version), text, { metadata });
  return manifest;
}

/**
 * Points readers at a published version (also how rollback is done). The
 * pointer carries when the version first served (see CurrentPointer.catalogAsOf).
 */
export async function setCurrentVersion(kv: KvPort, version: string, now: Date): Promise<CurrentPointer> {
  await requireManifest(kv, version);
  const pointer: CurrentPointer = { version, publishedAt: now.toISOString(), catalogAsOf: await markLive(kv, version, now) };
  const history = await readPointerHistory(kv);
  if (history.at(-1)?.version !== version) history.push({ version, at: pointer.publishedAt });
  await kv.put(POINTER_HISTORY_KEY, JSON.stringify(history.slice(-POINTER_HISTORY_LIMIT)));
  await kv.put(CURRENT_POINTER_KEY, JSON.stringify(pointer));
  return pointer;
}

/**
 * Deletes a version's manifest; refused for the current version and for
 * `pinned` (versions experiments route users to). Its blobs stay until collected.
 */
export async function deleteVersion(kv: KvPort, version: string, pinned: readonly string[] = []): Promise<void> {
  checkVersion(version);
  const inUse = await versionsInUse(kv, pinned);
  if (inUse.has(version)) throw new AppError("version_conflict", `version ${version} is serving (current, or pinned by an experiment); it cannot be deleted`);
  await kv.delete(manifestKey(version));
  await kv.delete(liveSinceKey(version));
}

/** Deletes one blob; refused when the current version or one of `pinned` lists it. */
export async function deleteBlob(kv: KvPort, sha256: string, pinned: readonly string[] = []): Promise<void> {
  if (!SHA256_PATTERN.test(sha256)) throw new AppError("invalid_request", "a blob is named by its lower-case hex SHA-256");
  for (const version of await versionsInUse(kv, pinned)) {
    const manifest = await readManifest(kv, version);
    if (manifest && Object.values(manifest.blobs).some((ref) => ref.sha256 === sha256)) {
      throw new AppError("version_conflict", `blob ${sha256} belongs to serving version ${version}; it cannot be deleted`);
    }
  }
  await kv.delete(blobKey(sha256));
}

async function versionsInUse(kv: KvPort, pinned: readonly string[]): Promise<Set<string>> {
  const current = await readCurrentPointer(kv);
  return new Set([current?.version, ...pinned].filter((v): v is string => v !== undefined));
}

/** The version's first-live time, recorded now when it never served. */
async function markLive(kv: KvPort, version: string, now: Date): Promise<string> {
  const since = await kv.get(liveSinceKey(version), { type: "text" });
  if (since !== null) return since;
  await kv.put(liveSinceKey(version), now.toISOString());
  return now.toISOString();
}

async function requireManifest(kv: KvPort, version: string): Promise<void> {
  checkVersion(version);
  const manifest = await kv.get(manifestKey(version), { type: "text" });
  if (manifest === null) throw new AppError("not_found", `index version ${version} has no manifest; publish it first`);
}

async function blobMetadata(kv: KvPort, sha256: string): Promise<BlobMetadata | null> {
  const { value, metadata } = await kv.getWithMetadata<BlobMetadata>(blobKey(sha256), { type: "stream" });
  if (value === null) return null;
  await value.cancel();
  // Only putBlob writes blob keys, always with metadata: a value without it was not verified, so it counts as absent.
  return metadata?.sha256 === sha256 ? metadata : null;
}

function checkVersion(version: string): void {
  if (!VERSION_PATTERN.test(version)) {
    throw new AppError("invalid_request", "index version must be 1-64 characters of A-Z a-z 0-9 . _ -");
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
