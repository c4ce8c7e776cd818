import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { sha256Hex } from "../../../shared/checksum";
import { type BlobRef, type IndexManifest, MANIFEST_FORMAT_VERSION } from "../../../shared/index-format/manifest";

export type VersionBlobs = Map<string, { bytes: Uint8Array; contentType: string }>;

/** Everything of a manifest but what writing derives (format, version, build time, blob refs). */
export type ManifestBody = Omit<IndexManifest, "formatVersion" | "version" | "builtAt" | "blobs">;

/**
 * Writes one index version into `<outDir>/<version>/`: `blobs/<name>`,
 * `manifest.json` (with size and SHA-256 of every blob) and `catalog.json`,
 * then points `<outDir>/LATEST` at it. The version names the build time and
 * a hash of the blobs, so equal content gets an equal suffix.
 */
export async function writeVersion(
  outDir: string,
  blobs: VersionBlobs,
  body: ManifestBody,
  catalog: readonly CatalogItem[],
  now: Date,
): Promise<{ version: string; dir: string; manifest: IndexManifest }> {
  const refs: Record<string, BlobRef> = {};
  for (const [name, blob] of blobs) {
    refs[name] = { bytes: blob.bytes.byteLength, sha256: await sha256Hex(blob.bytes), contentType: blob.contentType };
  }
  const contentHash = (await sha256Hex(new TextEncoder().encode(JSON.stringify(refs)))).slice(0, 10);
  const version = `${now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}-${contentHash}`;
  const manifest: IndexManifest = { formatVersion: MANIFEST_FORMAT_VERSION, version, builtAt: now.toISOString(), blobs: refs, ...body };
  const dir = join(outDir, version);
  await mkdir(join(dir, "blobs"), { recursive: true });
  for (const [name, blob] of blobs) await writeFile(join(dir, "blobs", name), blob.bytes);
  await writeFile(join(dir, "catalog.json"), JSON.stringify(catalog));
  await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  await writeFile(join(outDir, "LATEST"), `${version}\n`);
  return { version, dir, manifest };
}
