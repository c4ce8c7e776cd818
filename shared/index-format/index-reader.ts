import { sha256Hex } from "../checksum";
import { type KvPort } from "./kv-port";
import { blobKey, CURRENT_POINTER_KEY, type CurrentPointer, manifestKey } from "./keys";
import { type IndexManifest, parseManifest } from "./manifest";

/** Why a blob could not be used; reading goes on without it. */
export type BlobFault = "missing" | "checksum_mismatch";

export async function readCurrentPointer(kv: KvPort): Promise<CurrentPointer | null> {
  const text = await kv.get(CURRENT_POINTER_KEY, { type: "text" });
  return text === null ? null : (JSON.parse(text) as CurrentPointer);
}

export async function readManifest(kv: KvPort, version: string): Promise<IndexManifest | null> {
  const text = await kv.get(manifestKey(version), { type: "text" });
  return text === null ? null : parseManifest(JSON.parse(text));
}

/**
 * Reads one blob and checks it against the manifest's checksum. A missing or
 * corrupt blob is a value, not an exception: callers fall back and say so.
 */
export async function readVerifiedBlob(
  kv: KvPort,
  manifest: IndexManifest,
  name: string,
): Promise<{ bytes: Uint8Array } | { fault: BlobFault }> {
  const ref = manifest.blobs[name];
  if (!ref) return { fault: "missing" };
  const buffer = await kv.get(blobKey(manifest.version, name), { type: "arrayBuffer" });
  if (buffer === null) return { fault: "missing" };
  if ((await sha256Hex(buffer)) !== ref.sha256) return { fault: "checksum_mismatch" };
  return { bytes: new Uint8Array(buffer) };
}
