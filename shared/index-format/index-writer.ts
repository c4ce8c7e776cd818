import { sha256Hex } from "../checksum";
import { AppError } from "../errors";
import { type BlobMetadata, type KvPort } from "./kv-port";
import { BLOB_NAME_PATTERN, blobKey, CURRENT_POINTER_KEY, type CurrentPointer, manifestKey, VERSION_PATTERN } from "./keys";
import { type IndexManifest, parseManifest } from "./manifest";

/** Largest value KV stores (25 MiB). */
export const KV_VALUE_LIMIT_BYTES = 25 * 1024 * 1024;

/**
 * Stores one blob of a version after checking its declared checksum. Versions
 * are immutable: re-sending identical bytes is a no-op, different bytes under
 * the same name are a conflict.
 */
export async function putBlob(
  kv: KvPort,
  version: string,
  name: string,
  bytes: Uint8Array,
  declared: { sha256: string; contentType: string },
): Promise<"stored" | "unchanged"> {
  checkVersion(version);
  if (!BLOB_NAME_PATTERN.test(name)) throw new AppError("invalid_request", `blob name "${name}" is not allowed`);
  if (bytes.byteLength > KV_VALUE_LIMIT_BYTES) {
    throw new AppError("payload_too_large", `blob "${name}" is ${bytes.byteLength} bytes; KV holds at most ${KV_VALUE_LIMIT_BYTES}`);
  }
  const sha256 = await sha256Hex(bytes);
  if (sha256 !== declared.sha256.toLowerCase()) {
    throw new AppError("checksum_mismatch", `blob "${name}" has sha256 ${sha256}, not the declared ${declared.sha256}`);
  }
  const existing = await blobMetadata(kv, version, name);
  if (existing) {
    if (existing.sha256 === sha256) return "unchanged";
    throw new AppError("version_conflict", `version ${version} already has a different blob "${name}"; versions are immutable`);
  }
  const metadata: BlobMetadata = { sha256, bytes: bytes.byteLength, contentType: declared.contentType };
  await kv.put(blobKey(version, name), toArrayBuffer(bytes), { metadata });
  return "stored";
}

/**
 * Stores a version's manifest once every blob it lists is present with the
 * listed checksum, so that a manifest never points at a missing blob.
 */
export async function putManifest(kv: KvPort, value: unknown): Promise<IndexManifest> {
  const manifest = parseManifest(value);
  for (const [name, ref] of Object.entries(manifest.blobs)) {
    const meta = await blobMetadata(kv, manifest.version, name);
    if (!meta) throw new AppError("index_incomplete", `blob "${name}" of version ${manifest.version} has not been uploaded`);
    if (meta.sha256 !== ref.sha256) {
      throw new AppError("index_incomplete", `blob "${name}" of version ${manifest.version} was uploaded with another checksum`);
    }
  }
  const text = JSON.stringify(manifest);
  const existing = await kv.get(manifestKey(manifest.version), { type: "text" });
  if (existing !== null && existing !== text) {
    throw new AppError("version_conflict", `version ${manifest.version} already has a different manifest; versions are immutable`);
  }
  if (existing === null) await kv.put(manifestKey(manifest.version), text);
  return manifest;
}

/** Points readers at a published version (also how rollback is done). */
export async function setCurrentVersion(kv: KvPort, version: string, now: Date): Promise<CurrentPointer> {
  checkVersion(version);
  const manifest = await kv.get(manifestKey(version), { type: "text" });
  if (manifest === null) throw new AppError("not_found", `index version ${version} has no manifest; publish it first`);
  const pointer: CurrentPointer = { version, publishedAt: now.toISOString() };
  await kv.put(CURRENT_POINTER_KEY, JSON.stringify(pointer));
  return pointer;
}

async function blobMetadata(kv: KvPort, version: string, name: string): Promise<BlobMetadata | null> {
  const { value, metadata } = await kv.getWithMetadata<BlobMetadata>(blobKey(version, name), { type: "stream" });
  if (value === null) return null;
  await value.cancel();
  return metadata;
}

function checkVersion(version: string): void {
  if (!VERSION_PATTERN.test(version)) {
    throw new AppError("invalid_request", "index version must be 1-64 characters of A-Z a-z 0-9 . _ -");
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
