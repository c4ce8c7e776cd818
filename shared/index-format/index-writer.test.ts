import { describe, expect, it } from "vitest";
import { sha256Hex } from "../checksum";
import { AppError } from "../errors";
import { listBlobs, listVersions, readCurrentPointer, readManifest, readVerifiedBlob } from "./index-reader";
import { deleteBlob, deleteVersion, presentBlobs, putBlob, putBlobs, putManifest, setCurrentVersion } from "./index-writer";
import { blobKey, CURRENT_POINTER_KEY } from "./keys";
import { MemoryKv } from "./memory-kv";
import { type IndexManifest, MANIFEST_FORMAT_VERSION } from "./manifest";

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
    expect(await putBlob(kv, bytes, { sha256: manifest.blobs.popular!.sha256, contentType: "application/json" })).toBe("stored");
    await putManifest(kv, manifest);
    await setCurrentVersion(kv, "v1", new Date("2026-02-02T00:00:00Z"));
    expect(kv.writes.at(-1)).toBe(CURRENT_POINTER_KEY);
    expect(await readCurrentPointer(kv)).toEqual({ version: "v1", publishedAt: "2026-02-02T00:00:00.000Z", catalogAsOf: "2026-02-02T00:00:00.000Z" });
    const read = await readManifest(kv, "v1");
    expect(read).toEqual(manifest);
    expect(await readVerifiedBlob(kv, read!, "popular")).toEqual({ bytes });
  });

  it("refuses wrong checksums, conflicting rewrites, early manifests and early pointers", async () => {
    const kv = new MemoryKv();
    const manifest = await manifestFor("v1");
    const sha256 = manifest.blobs.popular!.sha256;
    expect(await codeOf(putBlob(kv, bytes, { sha256: "f".repeat(64), contentType: "x" }))).toBe("checksum_mismatch");
    expect(await codeOf(putManifest(kv, manifest))).toBe("index_incomplete");
    expect(await codeOf(setCurrentVersion(kv, "v1", new Date()))).toBe("not_found");
    expect(kv.writes).toEqual([]);

    await putBlob(kv, bytes, { sha256, contentType: "application/json" });
    expect(await putBlob(kv, bytes, { sha256, contentType: "application/json" })).toBe("unchanged");
    const other = new TextEncoder().encode("{}");
    expect(await codeOf(putManifest(kv, await manifestFor("v1", other)))).toBe("index_incomplete");
    await putManifest(kv, manifest);
    expect(await codeOf(putManifest(kv, { ...manifest, fallbackItemIds: ["changed"] }))).toBe("version_conflict");
  });

  it("reports a corrupt or missing blob as a fault value", async () => {
    const kv = new MemoryKv();
    const manifest = await manifestFor("v1");
    expect(await readVerifiedBlob(kv, manifest, "popular")).toEqual({ fault: "missing" });
    await kv.put(blobKey(manifest.blobs.popular!.sha256), "tampered");
    expect(await readVerifiedBlob(kv, manifest, "popular")).toEqual({ fault: "checksum_mismatch" });
    expect(await readVerifiedBlob(kv, manifest, "absent")).toEqual({ fault: "missing" });
  });

  it("stores a blob two versions share once, and lists versions and blobs", async () => {
    const kv = new MemoryKv();
    const v1 = await manifestFor("v1");
    const v2 = { ...(await manifestFor("v2")), builtAt: "2026-01-02T00:00:00Z" };
    const sha256 = v1.blobs.popular!.sha256;
    expect(await putBlob(kv, bytes, { sha256, contentType: "application/json" }, 5)).toBe("stored");
    expect(await putBlob(kv, bytes, { sha256, contentType: "application/json" }, 6)).toBe("unchanged");
    await putManifest(kv, v1);
    await putManifest(kv, v2);
    expect(await listBlobs(kv, null)).toEqual({ blobs: [{ sha256, bytes: bytes.byteLength, contentType: "application/json", storedAtMs: 5 }], cursor: null });
    expect(await listVersions(kv)).toEqual([
      { version: "v1", builtAt: "2026-01-01T00:00:00Z" },
      { version: "v2", builtAt: "2026-01-02T00:00:00Z" },
    ]);
  });

  it("keeps a version's first-live time across a rollback, and refuses to delete what serves or an experiment pins", async () => {
    const kv = new MemoryKv();
    const v1 = await manifestFor("v1");
    const other = new TextEncoder().encode('{"items":[],"byCategory":{"x":[]}}');
    const v2 = await manifestFor("v2", other);
    await putBlob(kv, bytes, { sha256: v1.blobs.popular!.sha256, contentType: "application/json" });
    await putBlob(kv, other, { sha256: v2.blobs.popular!.sha256, contentType: "application/json" });
    await putManifest(kv, v1);
    await putManifest(kv, v2);
    await setCurrentVersion(kv, "v1", new Date("2026-02-01T00:00:00Z"));

    expect(await codeOf(deleteVersion(kv, "v1"))).toBe("version_conflict");
    expect(await codeOf(deleteBlob(kv, v1.blobs.popular!.sha256))).toBe("version_conflict");
    // v2 is pinned by an experiment's variant: neither it nor its blob may go while that holds.
    expect(await codeOf(deleteVersion(kv, "v2", ["v2"]))).toBe("version_conflict");
    expect(await codeOf(deleteBlob(kv, v2.blobs.popular!.sha256, ["v2"]))).toBe("version_conflict");

    await setCurrentVersion(kv, "v2", new Date("2026-02-03T00:00:00Z"));
    const back = await setCurrentVersion(kv, "v1", new Date("2026-02-04T00:00:00Z"));
    expect(back).toEqual({ version: "v1", publishedAt: "2026-02-04T00:00:00.000Z", catalogAsOf: "2026-02-01T00:00:00.000Z" });
  });

  it("checks a large manifest against a listing, and still finds the one blob missing", async () => {
    const kv = new MemoryKv();
    const manifest = await manifestFor("big");
    const blobs = Array.from({ length: 1500 }, (_, i) => new TextEncoder().encode(`blob ${i}`));
    for (const [i, b] of blobs.entries()) manifest.blobs[`page-${i}`] = { bytes: b.byteLength, sha256: await sha256Hex(b), contentType: "x" };
    await putBlob(kv, bytes, { sha256: manifest.blobs.popular!.sha256, contentType: "application/json" });
    for (const b of blobs.slice(1)) await putBlob(kv, b, { sha256: await sha256Hex(b), contentType: "x" });
    expect(await codeOf(putManifest(kv, manifest))).toBe("index_incomplete");
    await putBlob(kv, blobs[0]!, { sha256: await sha256Hex(blobs[0]!), contentType: "x" });
    expect((await putManifest(kv, manifest)).version).toBe("big");
  });

  it("stores a batch only when every checksum holds, and says which of many blobs are missing", async () => {
    const kv = new MemoryKv();
    const blobs = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const b = new TextEncoder().encode(`batch blob ${i}`);
        return { bytes: b, sha256: await sha256Hex(b), contentType: "x" };
      }),
    );
    const bad = [...blobs.slice(0, 5), { ...blobs[5]!, sha256: blobs[6]!.sha256 }];
    expect(await codeOf(putBlobs(kv, bad))).toBe("checksum_mismatch");
    expect(kv.writes).toEqual([]);
    expect(await putBlobs(kv, blobs.slice(0, 250), 7)).toBe(250);
    const wanted = new Set(blobs.map((b) => b.sha256));
    const present = await presentBlobs(kv, wanted);
    expect([...present].sort()).toEqual(
      blobs
        .slice(0, 250)
        .map((b) => b.sha256)
        .sort(),
    );
    // The listing alone, when trusted, gives the same answer here (this KV lists what it holds at once).
    expect([...(await presentBlobs(kv, wanted, true))].sort()).toEqual([...present].sort());
    // Few enough to read one by one (no listing), and the same answer.
    expect([...(await presentBlobs(kv, new Set([blobs[0]!.sha256, blobs[299]!.sha256])))]).toEqual([blobs[0]!.sha256]);
    expect((await listBlobs(kv, null)).blobs[0]).toMatchObject({ storedAtMs: 7, contentType: "x" });
  });

  it("does not look the live version's blobs up again when a manifest shares them", async () => {
    const kv = new MemoryKv();
    const v1 = await manifestFor("v1");
    await putBlob(kv, bytes, { sha256: v1.blobs.popular!.sha256, contentType: "application/json" });
    await putManifest(kv, v1);
    await setCurrentVersion(kv, "v1", new Date("2026-02-01T00:00:00Z"));
    const extra = new TextEncoder().encode("extra");
    const v2 = await manifestFor("v2");
    v2.blobs.extra = { bytes: extra.byteLength, sha256: await sha256Hex(extra), contentType: "x" };
    expect(await codeOf(putManifest(kv, v2))).toBe("index_incomplete");
    await putBlob(kv, extra, { sha256: v2.blobs.extra.sha256, contentType: "x" });
    const reads: string[] = [];
    const getWithMetadata = kv.getWithMetadata.bind(kv);
    kv.getWithMetadata = async <M>(key: string) => {
      reads.push(key);
      return getWithMetadata<M>(key);
    };
    await putManifest(kv, v2);
    expect(reads).toEqual([blobKey(v2.blobs.extra.sha256)]);
  });
});
