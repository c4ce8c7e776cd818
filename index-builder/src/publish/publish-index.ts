import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type CatalogItem, MAX_ITEMS_PER_UPSERT } from "../../../shared/catalog/catalog-item";
import { type IndexManifest, parseManifest } from "../../../shared/index-format/manifest";
import { AdminClient, type AdminClientOptions } from "./admin-client";

/** Uploads in flight: most blobs are small (vector, title and co-visitation pages), so requests, not bytes, bound the rate. */
const UPLOAD_CONCURRENCY = 12;

export interface PublishOptions extends AdminClientOptions {
  log?: (line: string) => void;
  /** Blob uploads in flight (default 12). */
  concurrency?: number;
  /**
   * A built version already published (its directory): catalog rows equal to
   * its rows are not sent again. Without it, every row is sent.
   */
  previousDir?: string;
}

/** What an upload sent and what the Worker already held. */
export interface UploadReport {
  version: string;
  blobs: number;
  bytes: number;
  sentBlobs: number;
  sentBytes: number;
  /** Blobs the Worker already stored (shared with earlier versions, or sent by an interrupted run). */
  skippedBlobs: number;
  skippedBytes: number;
  /** Catalog rows sent (new or changed since `previousDir`'s catalog). */
  catalogItems: number;
  seconds: number;
  /** Seconds per phase: listing stored blobs, sending blobs, the manifest (the Worker checks every blob), the catalog. */
  phases: { list: number; blobs: number; manifest: number; catalog: number };
}

/** Reads a built version directory's manifest. */
export async function readBuiltManifest(dir: string): Promise<IndexManifest> {
  return parseManifest(JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")));
}

/**
 * Uploads a built version without making it live: the blobs the Worker does
 * not hold yet (blobs are content-addressed, so a version that shares blobs
 * with published ones sends only the difference, and a rerun after an
 * interruption sends only what is still missing), then the manifest (which
 * the Worker accepts only once every blob is there), then the catalog rows.
 */
export async function uploadVersion(dir: string, options: PublishOptions): Promise<UploadReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const client = new AdminClient(options);
  const manifest = await readBuiltManifest(dir);
  const phases = { list: 0, blobs: 0, manifest: 0, catalog: 0 };
  let mark = performance.now();
  const lap = (phase: keyof typeof phases) => {
    const now = performance.now();
    phases[phase] = (now - mark) / 1000;
    mark = now;
  };
  const stored = await client.storedBlobs();
  lap("list");
  // One upload per distinct checksum: two names may hold the same bytes.
  const byContent = new Map<string, { name: string; bytes: number; contentType: string }>();
  for (const [name, ref] of Object.entries(manifest.blobs)) byContent.set(ref.sha256, { name, bytes: ref.bytes, contentType: ref.contentType });
  const report: UploadReport = {
    version: manifest.version,
    blobs: 0,
    bytes: 0,
    sentBlobs: 0,
    sentBytes: 0,
    skippedBlobs: 0,
    skippedBytes: 0,
    catalogItems: 0,
    seconds: 0,
    phases,
  };
  const missing: [string, { name: string; contentType: string }][] = [];
  for (const [sha256, ref] of byContent) {
    report.blobs++;
    report.bytes += ref.bytes;
    if (stored.get(sha256)?.bytes === ref.bytes) {
      report.skippedBlobs++;
      report.skippedBytes += ref.bytes;
    } else missing.push([sha256, ref]);
  }
  let next = 0;
  const uploader = async () => {
    while (next < missing.length) {
      const [sha256, ref] = missing[next++]!;
      const bytes = await readFile(join(dir, "blobs", ref.name));
      await client.putBlob(sha256, bytes, ref.contentType);
      report.sentBlobs++;
      report.sentBytes += bytes.byteLength;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? UPLOAD_CONCURRENCY, missing.length) }, uploader));
  lap("blobs");
  log(`${report.blobs} blob(s), ${report.bytes} bytes: sent ${report.sentBlobs} (${report.sentBytes} bytes), ${report.skippedBlobs} already stored`);
  await client.putManifest(manifest);
  lap("manifest");
  log(`manifest ${manifest.version}`);

  const catalog = await changedCatalogRows(dir, options.previousDir);
  for (let i = 0; i < catalog.length; i += MAX_ITEMS_PER_UPSERT) await client.upsertCatalog(catalog.slice(i, i + MAX_ITEMS_PER_UPSERT), manifest.version);
  report.catalogItems = catalog.length;
  lap("catalog");
  log(`catalog: ${catalog.length} items sent`);
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** The catalog rows of `dir`, less those equal in `previousDir`'s catalog (all of them without one). */
async function changedCatalogRows(dir: string, previousDir: string | undefined): Promise<CatalogItem[]> {
  const read = async (d: string) => JSON.parse(await readFile(join(d, "catalog.json"), "utf8")) as CatalogItem[];
  const catalog = await read(dir);
  if (!previousDir) return catalog;
  const before = new Map((await read(previousDir).catch(() => [] as CatalogItem[])).map((item) => [item.itemId, JSON.stringify(item)]));
  return catalog.filter((item) => before.get(item.itemId) !== JSON.stringify(item));
}

/**
 * Publishes a built index directory through the Worker's admin API in the
 * only safe order: blobs, manifest, catalog rows, and last the current
 * pointer. A failure before the pointer leaves the live version untouched;
 * re-running is safe and resumes where the last run stopped.
 */
export async function publishIndex(dir: string, options: PublishOptions): Promise<UploadReport> {
  const started = performance.now();
  const report = await uploadVersion(dir, options);
  await new AdminClient(options).setCurrent(report.version);
  options.log?.(`current version -> ${report.version}`);
  return { ...report, seconds: (performance.now() - started) / 1000 };
}
