import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { sha256Hex } from "../../../shared/checksum";
import { type BlobRef, type IndexManifest, MANIFEST_FORMAT_VERSION } from "../../../shared/index-format/manifest";
import { claimHolder } from "../local/dir-claim";

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
  const writer = await VersionWriter.open(outDir);
  for (const [name, blob] of blobs) writer.set(name, blob);
  return writer.finish(body, catalog, now);
}

/**
 * A version written blob by blob as the build makes them, so that a large
 * build (10M items: some 8 GB of blobs) holds none of them: `set` stores a
 * blob under a staging directory at once and keeps only its size and
 * SHA-256; `finish` writes the manifest and catalogue and renames the
 * directory to the version (the same files `writeVersion` writes for the
 * same blobs in the same order).
 */
export class VersionWriter {
  private readonly refs: Record<string, BlobRef> = {};

  private constructor(
    private readonly outDir: string,
    private readonly staging: string,
  ) {}

  static async open(outDir: string): Promise<VersionWriter> {
    const staging = join(outDir, `${STAGING_PREFIX}${randomBytes(6).toString("hex")}`);
    await mkdir(join(staging, "blobs"), { recursive: true });
    // Names the process writing it: once that process is gone, the next build in outDir removes what it left.
    await writeFile(join(staging, STAGING_OWNER), String(process.pid));
    return new VersionWriter(outDir, staging);
  }

  /** Stores one blob now (a name once only). */
  set(name: string, blob: { bytes: Uint8Array; contentType: string }): void {
    if (Object.hasOwn(this.refs, name)) throw new Error(`blob ${name} written twice`);
    writeFileSync(join(this.staging, "blobs", name), blob.bytes);
    this.refs[name] = { bytes: blob.bytes.byteLength, sha256: createHash("sha256").update(blob.bytes).digest("hex"), contentType: blob.contentType };
  }

  get size(): number {
    return Object.keys(this.refs).length;
  }

  async finish(body: ManifestBody, catalog: readonly CatalogItem[], now: Date): Promise<{ version: string; dir: string; manifest: IndexManifest }> {
    const refs = this.refs;
    const contentHash = (await sha256Hex(new TextEncoder().encode(JSON.stringify(refs)))).slice(0, 10);
    const version = `${now
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z")}-${contentHash}`;
    const manifest: IndexManifest = { formatVersion: MANIFEST_FORMAT_VERSION, version, builtAt: now.toISOString(), blobs: refs, ...body };
    await writeFile(join(this.staging, "catalog.json"), JSON.stringify(catalog));
    await writeFile(join(this.staging, "manifest.json"), JSON.stringify(manifest, null, 2));
    await rm(join(this.staging, STAGING_OWNER), { force: true });
    const dir = join(this.outDir, version);
    // A rebuild of equal content at the same second names the same version: the new files replace it.
    await rm(dir, { recursive: true, force: true });
    await rename(this.staging, dir);
    await writeFile(join(this.outDir, "LATEST"), `${version}\n`);
    return { version, dir, manifest };
  }
}

/** A staging directory's name starts so; `STAGING_OWNER` in it names the process writing it. */
const STAGING_PREFIX = ".staging-";
const STAGING_OWNER = "writer.pid";
/** A staging directory without an owner (made before they named one) is taken as abandoned once untouched this long. */
const UNOWNED_STAGING_MS = 10 * 60_000;

/** A staging directory removed, its size, and why it was taken as abandoned. */
export interface RemovedStaging {
  name: string;
  bytes: number;
  why: string;
}

/**
 * Removes the staging directories in `outDir` that no live process writes:
 * a build interrupted (Ctrl-C, a kill, a crash) before `finish` left its
 * whole output there (3.4 MB for the demo; all of a large build), and
 * nothing else ever removed it. One whose owner (`writer.pid`) still runs
 * stays, whoever started it (another `npm start` or `build` on the same
 * `--out`); one without an owner stays until it is ten minutes untouched.
 */
export async function removeStaleStaging(outDir: string, nowMs = Date.now()): Promise<RemovedStaging[]> {
  const removed: RemovedStaging[] = [];
  for (const name of await readdir(outDir).catch(() => [] as string[])) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const dir = join(outDir, name);
    const owner = await claimHolder(join(dir, STAGING_OWNER));
    let why: string;
    if (owner) {
      if (owner.stale === null) continue;
      why = `its writer's ${owner.stale}`;
    } else {
      const touched = Math.max(
        ...(await Promise.all(
          [dir, join(dir, "blobs")].map((d) =>
            stat(d).then(
              (s) => s.mtimeMs,
              () => 0,
            ),
          ),
        )),
      );
      if (nowMs - touched < UNOWNED_STAGING_MS) continue;
      why = `no build named, untouched since ${new Date(touched).toISOString()}`;
    }
    const bytes = await directoryBytes(dir);
    await rm(dir, { recursive: true, force: true });
    removed.push({ name, bytes, why });
  }
  return removed;
}

/** The log line for what removeStaleStaging removed. */
export function describeRemovedStaging(outDir: string, removed: readonly RemovedStaging[]): string {
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  const total = removed.reduce((n, r) => n + r.bytes, 0);
  const each = removed.map((r) => `${r.name} (${mb(r.bytes)}; ${r.why})`).join(", ");
  return `removed ${removed.length} staging director${removed.length === 1 ? "y" : "ies"} of interrupted builds from ${outDir}, ${mb(total)}: ${each}`;
}

async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    total += entry.isDirectory()
      ? await directoryBytes(path)
      : await stat(path).then(
          (s) => s.size,
          () => 0,
        );
  }
  return total;
}

/** A version directory's name, as `finish` makes it: the build time to the second, then a hash of the blobs. */
const VERSION_NAME = /^\d{8}T\d{6}Z-[0-9a-f]{10}$/;

/**
 * Removes from `outDir` all but the `keep` newest version directories, never
 * the one `LATEST` names, nor anything that is not a version (staging
 * directories of builds under way, the user's own files). Returns the names
 * removed, oldest first.
 */
export async function pruneVersions(outDir: string, keep: number): Promise<string[]> {
  const latest = (await readFile(join(outDir, "LATEST"), "utf8").catch(() => "")).trim();
  const versions = (await readdir(outDir).catch(() => [] as string[])).filter((name) => VERSION_NAME.test(name)).sort();
  const removed = versions.slice(0, Math.max(0, versions.length - keep)).filter((name) => name !== latest);
  for (const name of removed) await rm(join(outDir, name), { recursive: true, force: true });
  return removed;
}
