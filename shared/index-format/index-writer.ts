import { sha256Hex } from "../checksum";
import { AppError } from "../errors";
import { type CanaryPointer, canaryProblem } from "./canary";
import { type BlobMetadata, type KvListPage, type KvPort, type ManifestMetadata } from "./kv-port";
import {
  BLOB_KEY_PREFIX,
  blobKey,
  CANARY_POINTER_KEY,
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
import { readCanaryPointer, readCurrentPointer, readManifest, readPointerHistory } from "./index-reader";

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
 * Stores a version's manifest once every blob it lists is present with the
 * listed checksum, so that a manifest never points at a missing blob.
 * Versions are immutable: a different manifest under the same version is a conflict.
 */
export async function putManifest(kv: KvPort, value: unknown): Promise<IndexManifest> {
  const manifest = parseManifest(value);
  const wanted = new Map(Object.entries(manifest.blobs).map(([name, ref]) => [ref.sha256, name]));
  // One listing (1000 keys a KV operation) answers for most blobs of a large index; KV lists
  // are eventually consistent, so a blob the listing lacks (a fresh upload) is then read on its own.
  const listed = new Set<string>();
  if (wanted.size > LIST_FIRST_ABOVE) {
    let cursor: string | null = null;
    do {
      const page: KvListPage<BlobMetadata> = await kv.list<BlobMetadata>({ prefix: BLOB_KEY_PREFIX, cursor, limit: 1000 });
      for (const key of page.keys) {
        const sha256 = key.name.slice(BLOB_KEY_PREFIX.length);
        if (wanted.has(sha256) && key.metadata?.sha256 === sha256) listed.add(sha256);
      }
      cursor = page.list_complete ? null : (page.cursor ?? null);
    } while (cursor);
  }
  const unlisted = [...wanted].filter(([sha256]) => !listed.has(sha256));
  for (let i = 0; i < unlisted.length; i += CHECK_CONCURRENCY) {
    const chunk = unlisted.slice(i, i + CHECK_CONCURRENCY);
    const present = await Promise.all(chunk.map(([sha256]) => blobMetadata(kv, sha256)));
    const missing = present.findIndex((meta) => meta === null);
    if (missing >= 0) {
      throw new AppError("index_incomplete", `blob "${chunk[missing]![1]}" of version ${manifest.version} has not been uploaded`);
    }
  }
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

/** Routes a share of users (optionally only in some regions) to a published version. */
export async function setCanary(kv: KvPort, value: unknown, now: Date): Promise<CanaryPointer> {
  const problem = canaryProblem(value);
  if (problem) throw new AppError("invalid_request", problem);
  const body = value as Pick<CanaryPointer, "version" | "share" | "regions">;
  await requireManifest(kv, body.version);
  const current = await readCurrentPointer(kv);
  if (current?.version === body.version) throw new AppError("invalid_request", `version ${body.version} is already the current version`);
  const catalogAsOf = await markLive(kv, body.version, now);
  const canary: CanaryPointer = { version: body.version, share: body.share, regions: body.regions ?? null, startedAt: now.toISOString(), catalogAsOf };
  await kv.put(CANARY_POINTER_KEY, JSON.stringify(canary));
  return canary;
}

export async function clearCanary(kv: KvPort): Promise<void> {
  await kv.delete(CANARY_POINTER_KEY);
}

/** Deletes a version's manifest; refused for the current and the canary version. Its blobs stay until collected. */
export async function deleteVersion(kv: KvPort, version: string): Promise<void> {
  checkVersion(version);
  const inUse = await versionsInUse(kv);
  if (inUse.has(version)) throw new AppError("version_conflict", `version ${version} is serving (current or canary); it cannot be deleted`);
  await kv.delete(manifestKey(version));
  await kv.delete(liveSinceKey(version));
}

/** Deletes one blob; refused when the current or the canary version lists it. */
export async function deleteBlob(kv: KvPort, sha256: string): Promise<void> {
  if (!SHA256_PATTERN.test(sha256)) throw new AppError("invalid_request", "a blob is named by its lower-case hex SHA-256");
  for (const version of await versionsInUse(kv)) {
    const manifest = await readManifest(kv, version);
    if (manifest && Object.values(manifest.blobs).some((ref) => ref.sha256 === sha256)) {
      throw new AppError("version_conflict", `blob ${sha256} belongs to serving version ${version}; it cannot be deleted`);
    }
  }
  await kv.delete(blobKey(sha256));
}

async function versionsInUse(kv: KvPort): Promise<Set<string>> {
  const [current, canary] = await Promise.all([readCurrentPointer(kv), readCanaryPointer(kv)]);
  return new Set([current?.version, canary?.version].filter((v): v is string => v !== undefined));
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
