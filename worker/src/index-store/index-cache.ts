import { type CanaryPointer, type RoutingUnit, versionFor } from "../../../shared/index-format/canary";
import { readCanaryPointer, readCurrentPointer, readManifest, readVerifiedBlob } from "../../../shared/index-format/index-reader";
import { type CurrentPointer } from "../../../shared/index-format/keys";
import { Memo } from "../cache/memo";
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
const pointers = new Memo<{ current: CurrentPointer | null; canary: CanaryPointer | null }>(POINTER_TTL_MS, 1);

/** Forgets the memoized pointers (after this isolate moved one). */
export function forgetCurrentPointer(): void {
  pointers.clear();
}

/**
 * The version that serves `unit` (the canary's when it covers the unit, else
 * the current one; the current one when `unit` is null), loaded and
 * verified; null before any publication.
 */
export async function loadCurrentIndex(kv: KVNamespace, unit: RoutingUnit | null = null): Promise<LoadedIndex | null> {
  let both = pointers.get("pointers");
  if (both === undefined) {
    const [current, canary] = await Promise.all([readCurrentPointer(kv), readCanaryPointer(kv)]);
    both = { current, canary };
    pointers.set("pointers", both);
  }
  const { current, canary } = both;
  if (!current) return null;
  const version = unit ? versionFor(current.version, canary, unit) : current.version;
  const asOf = version === current.version ? (current.catalogAsOf ?? current.publishedAt) : canary!.catalogAsOf;
  const publishedAtMs = Date.parse(asOf) || 0;
  const hit = loaded.get(version);
  if (hit) {
    // The same version may be pointed at again later (a rollback): the pointer says since when it serves.
    hit.publishedAtMs = publishedAtMs;
    return hit;
  }
  const manifest = await readManifest(kv, version);
  if (!manifest) return null;
  const result = await loadPopular(kv, manifest);
  const index: LoadedIndex = { version: manifest.version, manifest, ...result, publishedAtMs };
  // A degraded load is not kept: the next request tries the blob again.
  if (index.degraded.length === 0) remember(index);
  return index;
}

async function loadPopular(kv: KVNamespace, manifest: IndexManifest): Promise<Pick<LoadedIndex, "popular" | "degraded">> {
  const read = await readVerifiedBlob(kv, manifest, "popular");
  if ("fault" in read) {
    console.warn(JSON.stringify({ level: "warn", message: "popular blob unusable", version: manifest.version, fault: read.fault }));
    return { popular: null, degraded: [`popular_blob_${read.fault}`] };
  }
  return { popular: decodePopularBlob(read.bytes), degraded: [] };
}

function remember(index: LoadedIndex): void {
  loaded.set(index.version, index);
  while (loaded.size > MAX_CACHED_VERSIONS) {
    const oldest = loaded.keys().next().value;
    if (oldest === undefined) break;
    loaded.delete(oldest);
  }
}
