import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type CatalogItem, MAX_ITEMS_PER_UPSERT } from "../../../shared/catalog/catalog-item";
import { type IndexManifest, parseManifest } from "../../../shared/index-format/manifest";
import { AdminClient, type AdminClientOptions } from "./admin-client";

/** Batches in flight: the Worker stores a batch's blobs in parallel, so a few suffice. */
const UPLOAD_CONCURRENCY = 4;
/** A batch holds at most this many bytes (and MAX_BATCH_BLOBS blobs); a larger blob goes alone. */
const BATCH_BYTES = 8 * 1024 * 1024;
/** Blobs per batch (the Worker's limit, worker/src/index-store/blob-batch.ts). */
const BATCH_BLOBS = 100;

export interface PublishOptions extends AdminClientOptions {
  log?: (line: string) => void;
  /** Batches in flight (default 4). */
  concurrency?: number;
  /** Blobs per batch (default and most 100). */
  batchBlobs?: number;
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
  /** Requests that carried blobs. */
  blobRequests: number;
  seconds: number;
  /**
   * Seconds per phase: finding what the Worker lacks, sending blobs, the
   * manifest (the Worker checks every blob the live version does not
   * share), the catalog rows.
   */
  phases: { lookup: number; blobs: number; manifest: number; catalog: number };
}

/** Reads a built version directory's manifest. */
export async function readBuiltManifest(dir: string): Promise<IndexManifest> {
  return parseManifest(JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")));
}

/**
 * Uploads a built version without making it live: the blobs the Worker does
 * not hold yet, in batches (blobs are content-addressed, so a version that
 * shares blobs with published ones sends only the difference, and a rerun
 * after an interruption sends only what is still missing), then the
 * manifest (which the Worker accepts only once every blob is there), then
 * the catalog rows. The live version's blobs are not even looked up: the
 * Worker refuses to delete them.
 */
/** An upload of `version`'s `blobs` distinct blobs before anything was sent: every count and time 0. */
export function emptyUploadReport(version: string, blobs = 0): UploadReport {
  return {
    version,
    blobs,
    bytes: 0,
    sentBlobs: 0,
    sentBytes: 0,
    skippedBlobs: 0,
    skippedBytes: 0,
    catalogItems: 0,
    blobRequests: 0,
    seconds: 0,
    phases: { lookup: 0, blobs: 0, manifest: 0, catalog: 0 },
  };
}

export async function uploadVersion(dir: string, options: PublishOptions): Promise<UploadReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const client = new AdminClient(options);
  const manifest = await readBuiltManifest(dir);
  // Reading and comparing two catalogs of a large index takes a while: it runs while the blobs go.
  const catalogRows = changedCatalogRows(dir, options.previousDir);
  catalogRows.catch(() => {});
  const phases = { lookup: 0, blobs: 0, manifest: 0, catalog: 0 };
  let mark = performance.now();
  const lap = (phase: keyof typeof phases) => {
    const now = performance.now();
    phases[phase] = (now - mark) / 1000;
    mark = now;
  };
  // One upload per distinct checksum: two names may hold the same bytes.
  const byContent = new Map<string, { name: string; bytes: number; contentType: string }>();
  for (const [name, ref] of Object.entries(manifest.blobs)) byContent.set(ref.sha256, { name, bytes: ref.bytes, contentType: ref.contentType });
  const live = await client.current();
  const shared = new Set<string>();
  if (live && live.version !== manifest.version) {
    // The live version's manifest: from its build directory when that is the one given, else from the Worker.
    const previous = options.previousDir ? await readBuiltManifest(options.previousDir).catch(() => null) : null;
    const liveManifest = previous?.version === live.version ? previous : await client.manifest(live.version);
    for (const ref of Object.values(liveManifest.blobs)) shared.add(ref.sha256);
  }
  const missing = await client.missingBlobs([...byContent.keys()].filter((sha256) => !shared.has(sha256)));
  lap("lookup");
  const report: UploadReport = { ...emptyUploadReport(manifest.version, byContent.size), phases };
  const batches: { sha256: string; name: string; contentType: string; bytes: number }[][] = [];
  let batch: (typeof batches)[number] = [];
  let batchBytes = 0;
  for (const [sha256, ref] of byContent) {
    report.bytes += ref.bytes;
    if (!missing.has(sha256)) {
      report.skippedBlobs++;
      report.skippedBytes += ref.bytes;
      continue;
    }
    if (batch.length > 0 && (batch.length >= (options.batchBlobs ?? BATCH_BLOBS) || batchBytes + ref.bytes > BATCH_BYTES)) {
      batches.push(batch);
      batch = [];
      batchBytes = 0;
    }
    batch.push({ sha256, ...ref });
    batchBytes += ref.bytes;
  }
  if (batch.length > 0) batches.push(batch);
  let next = 0;
  const uploader = async () => {
    while (next < batches.length) {
      const blobs = await Promise.all(batches[next++]!.map(async (b) => ({ ...b, bytes: new Uint8Array(await readFile(join(dir, "blobs", b.name))) })));
      if (blobs.length === 1) await client.putBlob(blobs[0]!.sha256, blobs[0]!.bytes, blobs[0]!.contentType);
      else await client.putBlobs(blobs);
      report.blobRequests++;
      report.sentBlobs += blobs.length;
      report.sentBytes += blobs.reduce((a, b) => a + b.bytes.byteLength, 0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? UPLOAD_CONCURRENCY, batches.length) }, uploader));
  lap("blobs");
  log(
    `${report.blobs} blob(s), ${report.bytes} bytes: sent ${report.sentBlobs} (${report.sentBytes} bytes) in ${report.blobRequests} request(s), ${report.skippedBlobs} already stored`,
  );
  await client.putManifest(manifest);
  lap("manifest");
  log(`manifest ${manifest.version}`);

  const catalog = await catalogRows;
  // The item data's time decides, per row, between it and an operator's edit in D1 (the newer fact wins).
  const asOf = manifest.source.itemsAsOf;
  const catalogAsOfMs = asOf === undefined ? undefined : Date.parse(asOf);
  for (let i = 0; i < catalog.length; i += MAX_ITEMS_PER_UPSERT)
    await client.upsertCatalog(catalog.slice(i, i + MAX_ITEMS_PER_UPSERT), manifest.version, catalogAsOfMs);
  report.catalogItems = catalog.length;
  lap("catalog");
  log(`catalog: ${catalog.length} items sent${asOf === undefined ? "" : `, item data as of ${asOf}`}`);
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
