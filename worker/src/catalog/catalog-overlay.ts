import { desc, gt, isNull, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { items } from "../../../shared/db/schema";
import { type CatalogFacts } from "../../../shared/catalog/catalog-item";

/**
 * What the catalog (D1) says that the published index does not: the index
 * is a snapshot of the catalog at build time, and this overlay is the small
 * difference since, read once per isolate every few seconds instead of per
 * request (D1 lives in one region; KV pages are read at the edge).
 *
 * - `fresh`: items no index holds yet (no index version), newest first;
 * - `rows`: every row read, by id: the fresh ones, items written after the
 *   current version was published (new titles, availability), and every
 *   restricted item (unavailable or blocked in some region) whenever it was
 *   written.
 *
 * Everything else reads its facts and title from the index. When a part
 * outgrows its limit, `complete` is false and the funnel checks the items
 * it shows against D1 directly, as it did before the overlay.
 */
export interface CatalogOverlay {
  fresh: CatalogFacts[];
  rows: Map<string, CatalogFacts>;
  complete: boolean;
  /** When it was read (isolate clock, epoch ms). */
  readAtMs: number;
  /** Set when D1 could not be read and this is the last overlay the isolate read instead. */
  stale?: boolean;
}

/** New items read with the overlay: more than the fresh source's quota, as some may be blocked in the caller's region. */
export const OVERLAY_FRESH_ROWS = 50;
/** Rows each part may hold before the overlay calls itself incomplete. */
export const OVERLAY_MAX_ROWS = 5000;
/** Served without a refresh for this long; then served while one runs in the background. */
export const OVERLAY_FRESH_MS = 10_000;
/** Older than this, a request waits for the refresh. */
export const OVERLAY_MAX_AGE_MS = 60_000;

/** The columns of a catalog row as the funnel reads it (`CatalogFacts`). */
export const CATALOG_FACTS_COLUMNS = {
  itemId: items.itemId,
  title: items.title,
  categories: items.categories,
  year: items.year,
  tags: items.tags,
  available: items.available,
  blockedRegions: items.blockedRegions,
};

/** Reads the overlay of the version published at `publishedAtMs`, in one D1 batch. */
export async function readCatalogOverlay(
  db: D1Database,
  publishedAtMs: number,
  freshLimit: number,
  nowMs = Date.now(),
  maxRows = OVERLAY_MAX_ROWS,
): Promise<CatalogOverlay> {
  const orm = drizzle(db);
  const [fresh, changed, restricted] = await orm.batch([
    orm.select(CATALOG_FACTS_COLUMNS).from(items).where(isNull(items.indexVersion)).orderBy(desc(items.updatedAt)).limit(freshLimit),
    orm
      .select(CATALOG_FACTS_COLUMNS)
      .from(items)
      .where(gt(items.updatedAt, publishedAtMs))
      .limit(maxRows + 1),
    // Same predicate as the partial index items_restricted_idx, so SQLite reads only that index.
    orm
      .select(CATALOG_FACTS_COLUMNS)
      .from(items)
      .where(sql`${items.available} = 0 OR ${items.blockedRegions} <> '[]'`)
      .limit(maxRows + 1),
  ]);
  const rows = new Map<string, CatalogFacts>();
  for (const row of [...fresh, ...restricted, ...changed]) rows.set(row.itemId, row);
  return { fresh, rows, complete: changed.length <= maxRows && restricted.length <= maxRows, readAtMs: nowMs };
}

const overlays = new Map<string, { overlay: CatalogOverlay | null; pending: Promise<CatalogOverlay> | null }>();
/** The newest overlay read, of any version: the last known restrictions, kept for when D1 cannot be read. */
let lastRead: CatalogOverlay | null = null;

/** Forgets this isolate's overlays (after a catalog write through its admin API). */
export function forgetCatalogOverlay(): void {
  overlays.clear();
  lastRead = null;
}

/**
 * The overlay for a version, from the isolate's memo: fresh for
 * OVERLAY_FRESH_MS, then served stale (up to OVERLAY_MAX_AGE_MS) while a
 * refresh runs under `defer`; otherwise read now. Concurrent requests share
 * one read.
 */
export async function catalogOverlay(
  db: D1Database,
  version: string,
  publishedAtMs: number,
  freshLimit: number,
  defer: (work: Promise<unknown>) => void,
  nowMs = Date.now(),
): Promise<CatalogOverlay> {
  const key = `${version}@${publishedAtMs}`;
  let entry = overlays.get(key);
  if (!entry) {
    overlays.clear();
    entry = { overlay: null, pending: null };
    overlays.set(key, entry);
  }
  const state = entry;
  const refresh = () => {
    state.pending ??= readCatalogOverlay(db, publishedAtMs, freshLimit, nowMs)
      .then((overlay) => {
        state.overlay = overlay;
        lastRead = overlay;
        return overlay;
      })
      .finally(() => {
        state.pending = null;
      });
    return state.pending;
  };
  const age = state.overlay ? nowMs - state.overlay.readAtMs : Infinity;
  if (age <= OVERLAY_FRESH_MS) return state.overlay!;
  if (age <= OVERLAY_MAX_AGE_MS) {
    defer(refresh().catch((err) => console.warn(JSON.stringify({ level: "warn", message: "catalog overlay refresh failed", error: String(err) }))));
    return state.overlay!;
  }
  try {
    return await refresh();
  } catch (err) {
    // Fail closed on what was known: the last overlay read still hides what was withdrawn or blocked then.
    const last = state.overlay ?? lastRead;
    if (!last) throw err;
    console.warn(
      JSON.stringify({ level: "warn", message: "catalog overlay unreadable; serving the last one read", readAtMs: last.readAtMs, error: String(err) }),
    );
    return { ...last, stale: true };
  }
}
