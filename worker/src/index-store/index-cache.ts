import { SharedLoads } from "../cache/shared-loads";
import { AppError } from "../../../shared/errors";
import { readCurrentPointer, readManifest, readVerifiedBlob } from "../../../shared/index-format/index-reader";
import { type CurrentPointer } from "../../../shared/index-format/keys";
import { Memo } from "../cache/memo";
import { chargeHead, releaseHead } from "../cache/isolate-cache";
import { loadAnnHead } from "./ann-store";
import { loadFunnelHead } from "./funnel-store";
import { type IndexManifest } from "../../../shared/index-format/manifest";
import { decodePopularBlob, type PopularBlob } from "../../../shared/index-format/popular";

/** A published version as the request path uses it. */
export interface LoadedIndex {
  version: string;
  manifest: IndexManifest;
  /** Null when the blob is missing or corrupt; `degraded` then says why. */
  popular: PopularBlob | null;
  degraded: string[];
  /**
   * When this version first served (epoch ms): its catalog rows had just been
   * written, so rows written later are news to it, also after a rollback to it.
   */
  publishedAtMs: number;
}

/** Versions are immutable, so a fully loaded one is kept for the isolate's life (a few at most). */
const MAX_CACHED_VERSIONS = 3;
const loaded = new Map<string, LoadedIndex>();

/**
 * The pointer is read from KV at most every few seconds per isolate (KV is
 * itself eventually consistent for about a minute); a publication through
 * this isolate's admin API takes effect at once.
 */
const POINTER_TTL_MS = 5000;
const pointers = new Memo<CurrentPointer | null>(POINTER_TTL_MS, 1);

/** Forgets the memoized pointers (after this isolate moved one). */
export function forgetCurrentPointer(): void {
  pointers.clear();
  pointerRead = null;
}

/** The last version this isolate served whole: what it answers from when the index store cannot be read. */
let lastGood: LoadedIndex | null = null;

/**
 * The current version, loaded and verified; null before any publication
 * (an experiment variant that pins another version is served through
 * `loadIndexVersion`). When KV fails (an error, not a
 * missing key) or the pointer names a version whose manifest is gone, the
 * isolate's last good version answers, its `degraded` naming why; with none
 * to fall back on, a 503 (`dependency_unavailable`), never a 500.
 */
export async function loadCurrentIndex(kv: KVNamespace): Promise<LoadedIndex | null> {
  let index: Awaited<ReturnType<typeof loadPointedIndex>>;
  try {
    index = await loadPointedIndex(kv);
  } catch (cause) {
    console.warn(JSON.stringify({ level: "warn", message: "index store unreadable", error: String(cause) }));
    if (lastGood) return { ...lastGood, degraded: [...lastGood.degraded, "index_store_error"] };
    throw new AppError("dependency_unavailable", "the index store cannot be read right now and this isolate holds no index yet; retry shortly", undefined, {
      cause,
    });
  }
  if (index === "manifest_missing") return lastGood ? { ...lastGood, degraded: [...lastGood.degraded, "index_manifest_missing"] } : null;
  if (index && index.degraded.length === 0) lastGood = index;
  return index;
}

/** The pointer being read, shared by concurrent requests. */
let pointerRead: Promise<CurrentPointer | null> | null = null;

async function loadPointedIndex(kv: KVNamespace): Promise<LoadedIndex | null | "manifest_missing"> {
  let current = pointers.get("current");
  if (current === undefined) {
    pointerRead ??= readCurrentPointer(kv).finally(() => (pointerRead = null));
    current = await pointerRead;
    pointers.set("current", current);
  }
  if (!current) return null;
  // The same version may be pointed at again later (a rollback): the pointer says since when it serves.
  return loadVersion(kv, current.version, Date.parse(current.catalogAsOf ?? current.publishedAt) || 0);
}

/**
 * A published version that the pointer need not name (an experiment variant
 * routes to it); null when it has no manifest. Catalog rows newer than its
 * build count as news to it, as it was never published as current.
 */
export async function loadIndexVersion(kv: KVNamespace, version: string): Promise<LoadedIndex | null> {
  const index = await loadVersion(kv, version, null);
  return index === "manifest_missing" ? null : index;
}

/** Versions being loaded: concurrent requests (and a cold isolate's warm-up) read a manifest once. */
const loading = new SharedLoads<LoadedIndex | "manifest_missing">();

async function loadVersion(kv: KVNamespace, version: string, publishedAtMs: number | null): Promise<LoadedIndex | "manifest_missing"> {
  const hit = loaded.get(version);
  if (hit) {
    if (publishedAtMs !== null) hit.publishedAtMs = publishedAtMs;
    return hit;
  }
  const index = await loading.load(version, () => readVersion(kv, version, publishedAtMs));
  if (index !== "manifest_missing" && publishedAtMs !== null) index.publishedAtMs = publishedAtMs;
  return index;
}

/**
 * Starts loading the current version on an isolate that holds none yet, so
 * that its manifest, popular lists and heads are read while the request
 * does other work first (experiment assignment); errors are left to the
 * request's own load.
 */
export function warmCurrentIndex(kv: KVNamespace): void {
  if (loaded.size > 0) return;
  loadPointedIndex(kv).catch(() => undefined);
}

async function readVersion(kv: KVNamespace, version: string, publishedAtMs: number | null): Promise<LoadedIndex | "manifest_missing"> {
  const manifest = await readManifest(kv, version);
  if (!manifest) return "manifest_missing";
  // Every request that runs the funnel needs the version's heads: their reads start now, beside the popular blob's.
  if (manifest.funnel) void loadFunnelHead(kv, manifest).catch(() => undefined);
  if (manifest.ann) void loadAnnHead(kv, manifest).catch(() => undefined);
  const result = await loadPopular(kv, manifest);
  const index: LoadedIndex = { version: manifest.version, manifest, ...result, publishedAtMs: publishedAtMs ?? (Date.parse(manifest.builtAt) || 0) };
  // A degraded load is not kept: the next request tries the blob again.
  if (index.degraded.length === 0) remember(index);
  return index;
}

/** Forgets the last good version (tests of a fresh isolate). */
export function forgetLastGoodIndex(): void {
  lastGood = null;
}

async function loadPopular(kv: KVNamespace, manifest: IndexManifest): Promise<Pick<LoadedIndex, "popular" | "degraded">> {
  let read: Awaited<ReturnType<typeof readVerifiedBlob>>;
  try {
    read = await readVerifiedBlob(kv, manifest, "popular");
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", message: "popular blob unreadable", version: manifest.version, error: String(err) }));
    return { popular: null, degraded: ["popular_blob_error"] };
  }
  if ("fault" in read) {
    console.warn(JSON.stringify({ level: "warn", message: "popular blob unusable", version: manifest.version, fault: read.fault }));
    return { popular: null, degraded: [`popular_blob_${read.fault}`] };
  }
  return { popular: decodePopularBlob(read.bytes), degraded: [] };
}

function remember(index: LoadedIndex): void {
  loaded.set(index.version, index);
  // A parsed manifest is mostly its blob list: per blob a name, a 64-character checksum and a small object, some 200 bytes of JS heap.
  // The popular lists decoded take about what their JSON does.
  const bytes = Object.keys(index.manifest.blobs).length * 200 + (index.manifest.blobs.popular?.bytes ?? 0);
  chargeHead(`manifest:${index.version}`, bytes);
  while (loaded.size > MAX_CACHED_VERSIONS) {
    const oldest = loaded.keys().next().value;
    if (oldest === undefined) break;
    loaded.delete(oldest);
    releaseHead(`manifest:${oldest}`);
  }
}
