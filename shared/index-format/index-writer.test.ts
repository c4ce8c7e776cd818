import { describe, expect, it } from "vitest";
import { sha256Hex } from "../checksum";
import { AppError } from "../errors";
import { readCurrentPointer, readManifest, readVerifiedBlob } from "./index-reader";
import { putBlob, putManifest, setCurrentVersion } from "./index-writer";
import { blobKey, CURRENT_POINTER_KEY } from "./keys";
import { type KvPort } from "./kv-port";
import { type IndexManifest, MANIFEST_FORMAT_VERSION } from "./manifest";

/** In-memory stand-in for a KV namespace, for these pure unit tests only. */
class MemoryKv implements KvPort {
  readonly data = new Map<string, { value: Uint8Array; metadata: unknown }>();
  writes: string[] = [];

  async get(key: string, options: { type: "arrayBuffer" } | { type: "text" }): Promise<never> {
    const entry = this.data.get(key);
    if (!entry) return null as never;
    return (options.type === "text" ? new TextDecoder().decode(entry.value) : entry.value.slice().buffer) as never;
  }
  async getWithMetadata<M>(key: string): Promise<{ value: ReadableStream | null; metadata: M | null }> {
    const entry = this.data.get(key);
    if (!entry) return { value: null, metadata: null };
    return { value: new Blob([entry.value as BlobPart]).stream(), metadata: entry.metadata as M };
  }
  async put(key: string, value: string | ArrayBuffer, options?: { metadata?: unknown }): Promise<void> {
    const bytes = typeof value === "string" ? new TextEncoder().encode(value) : new Uint8Array(value);
    this.data.set(key, { value: bytes, metadata: options?.metadata ?? null });
    this.writes.push(key);
  }
}

const bytes = new TextEncoder().encode('{"items":[],"byCategory":{}}');

async function manifestFor(version: string, blob: Uint8Array = bytes): Promise<IndexManifest> {
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    version,
    builtAt: "2026-01-01T00:00:00Z",
    source: { dataset: "t", newestInteractionAt: "2026-01-01T00:00:00Z" },
    counts: { items: 0, users: 0, interactions: 0, categories: 0 },
    blobs: { popular: { bytes: blob.byteLength, sha256: await sha256Hex(blob), contentType: "application/json" } },
    fallbackItemIds: [],
  };
}

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return "none";
  } catch (err) {
    return err instanceof AppError ? err.code : `unexpected ${String(err)}`;
  }
}

describe("index publication on a KV port", () => {
  it("publishes in order and reads back a verified version", async () => {
    const kv = new MemoryKv();
    const manifest = await manifestFor("v1");
    expect(await putBlob(kv, "v1", "popular", bytes, { sha256: manifest.blobs.popular!.sha256, contentType: "application/json" })).toBe("stored");
    await putManifest(kv, manifest);
    await setCurrentVersion(kv, "v1", new Date("2026-02-02T00:00:00Z"));
    expect(kv.writes.at(-1)).toBe(CURRENT_POINTER_KEY);
    expect(await readCurrentPointer(kv)).toEqual({ version: "v1", publishedAt: "2026-02-02T00:00:00.000Z" });
    const read = await readManifest(kv, "v1");
    expect(read).toEqual(manifest);
    expect(await readVerifiedBlob(kv, read!, "popular")).toEqual({ bytes });
  });

  it("refuses wrong checksums, conflicting rewrites, early manifests and early pointers", async () => {
    const kv = new MemoryKv();
    const manifest = await manifestFor("v1");
    const sha256 = manifest.blobs.popular!.sha256;
    expect(await codeOf(putBlob(kv, "v1", "popular", bytes, { sha256: "f".repeat(64), contentType: "x" }))).toBe("checksum_mismatch");
    expect(await codeOf(putManifest(kv, manifest))).toBe("index_incomplete");
    expect(await codeOf(setCurrentVersion(kv, "v1", new Date()))).toBe("not_found");
    expect(kv.writes).toEqual([]);

    await putBlob(kv, "v1", "popular", bytes, { sha256, contentType: "application/json" });
    expect(await putBlob(kv, "v1", "popular", bytes, { sha256, contentType: "application/json" })).toBe("unchanged");
    const other = new TextEncoder().encode("{}");
    expect(await codeOf(putBlob(kv, "v1", "popular", other, { sha256: await sha256Hex(other), contentType: "x" }))).toBe("version_conflict");
    expect(await codeOf(putManifest(kv, await manifestFor("v1", other)))).toBe("index_incomplete");
    await putManifest(kv, manifest);
    expect(await codeOf(putManifest(kv, { ...manifest, fallbackItemIds: ["changed"] }))).toBe("version_conflict");
    expect(await codeOf(putBlob(kv, "../x", "popular", bytes, { sha256, contentType: "x" }))).toBe("invalid_request");
  });

  it("reports a corrupt or missing blob as a fault value", async () => {
    const kv = new MemoryKv();
    const manifest = await manifestFor("v1");
    expect(await readVerifiedBlob(kv, manifest, "popular")).toEqual({ fault: "missing" });
    await kv.put(blobKey("v1", "popular"), "tampered");
    expect(await readVerifiedBlob(kv, manifest, "popular")).toEqual({ fault: "checksum_mismatch" });
    expect(await readVerifiedBlob(kv, manifest, "absent")).toEqual({ fault: "missing" });
  });
});
