import { desc, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { type CatalogFacts, type CatalogItem } from "../../../shared/catalog/catalog-item";
import { items } from "../../../shared/db/schema";
import { Memo } from "../cache/memo";
import { CATALOG_FACTS_COLUMNS, forgetCatalogOverlay } from "./catalog-overlay";

/** D1 allows 100 bound parameters per statement; an item row binds 10, a publication's as-of time 2 more. */
const ROWS_PER_STATEMENT = 9;

export async function getCatalogItem(db: D1Database, itemId: string): Promise<CatalogItem | null> {
  const row = await drizzle(db).select().from(items).where(eq(items.itemId, itemId)).get();
  if (!row) return null;
  return {
    itemId: row.itemId,
    title: row.title,
    categories: row.categories,
    year: row.year,
    tags: row.tags,
    available: row.available,
    blockedRegions: row.blockedRegions,
  };
}

/** The publication a catalog write belongs to: its index version, and the time its item data is as of (epoch ms). */
export interface CatalogPublication {
  indexVersion: string;
  /** Absent: the data is taken as of now, so it overwrites every earlier edit (builders that do not send it). */
  catalogAsOfMs?: number;
}

/**
 * Inserts or replaces items in one D1 batch, which D1 runs as one transaction.
 * Outside a publication (`publication` null: an operator's write) every field
 * is written and `edited_at` set to `nowMs`. A publication always writes
 * title, categories, year and tags, but `available` and `blocked_regions`
 * only where the row's last operator edit is not later than the
 * publication's item data: the newer fact wins, so a withdrawal made after
 * the builder read its item file survives the publication.
 */
export async function upsertCatalogItems(db: D1Database, list: CatalogItem[], publication: CatalogPublication | null, nowMs: number): Promise<number> {
  if (list.length === 0) return 0;
  const orm = drizzle(db);
  const rows = list.map((item) => ({
    ...item,
    blockedRegions: item.blockedRegions ?? [],
    indexVersion: publication?.indexVersion ?? null,
    updatedAt: nowMs,
    editedAt: publication ? null : nowMs,
  }));
  const asOfMs = publication ? (publication.catalogAsOfMs ?? nowMs) : null;
  // An operator's later edit keeps its liveness; ties go to the publication.
  const liveness = (column: SQL, excluded: SQL) =>
    asOfMs === null ? excluded : sql`case when ${items.editedAt} > ${asOfMs} then ${column} else ${excluded} end`;
  const statements = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    statements.push(
      orm
        .insert(items)
        .values(rows.slice(i, i + ROWS_PER_STATEMENT))
        .onConflictDoUpdate({
          target: items.itemId,
          set: {
            title: sql`excluded.title`,
            categories: sql`excluded.categories`,
            year: sql`excluded.year`,
            tags: sql`excluded.tags`,
            available: liveness(sql`${items.available}`, sql`excluded.available`),
            blockedRegions: liveness(sql`${items.blockedRegions}`, sql`excluded.blocked_regions`),
            // An edit outside a publication keeps the version that published the item: it is not new.
            indexVersion: sql`coalesce(excluded.index_version, ${items.indexVersion})`,
            updatedAt: sql`excluded.updated_at`,
            // A publication leaves the last operator edit's time as it was.
            editedAt: sql`coalesce(excluded.edited_at, ${items.editedAt})`,
          },
        }),
    );
  }
  const [first, ...rest] = statements;
  if (first) await orm.batch([first, ...rest]);
  recentRows.clear();
  forgetCatalogOverlay();
  return rows.length;
}

/** Number of catalog rows, for health reporting. */
export async function countCatalogItems(db: D1Database): Promise<number> {
  const row = await drizzle(db)
    .select({ n: sql<number>`count(*)` })
    .from(items)
    .get();
  return row?.n ?? 0;
}

/**
 * Items added to the catalog outside an index publication (no index
 * version), newest first: the "fresh" source, which gives new items
 * exposure before the next retraining.
 */
export async function freshItems(db: D1Database, limit: number): Promise<CatalogFacts[]> {
  return drizzle(db).select(CATALOG_FACTS_COLUMNS).from(items).where(isNull(items.indexVersion)).orderBy(desc(items.updatedAt)).limit(limit);
}

/** Bound parameters per lookup, under D1's limit of 100. */
const IDS_PER_QUERY = 90;

/** Catalog rows seen recently, per isolate: titles rarely change, availability may lag by a minute. */
const recentRows = new Memo<CatalogFacts | null>(60_000, 50_000);

/** Current catalog rows of the given items (titles, availability), from the isolate's memo or one D1 batch. */
export async function catalogFacts(db: D1Database, itemIds: readonly string[]): Promise<Map<string, CatalogFacts>> {
  const out = new Map<string, CatalogFacts>();
  const missing: string[] = [];
  for (const id of new Set(itemIds)) {
    const row = recentRows.get(id);
    if (row === undefined) missing.push(id);
    else if (row) out.set(id, row);
  }
  const fetched = await fetchCatalogFacts(db, missing);
  for (const id of missing) {
    const row = fetched.get(id) ?? null;
    recentRows.set(id, row);
    if (row) out.set(id, row);
  }
  return out;
}

/**
 * The rows this isolate last read for the given items, however old: what the
 * events route checks items against while D1 cannot be read. An item whose
 * last read found no row, or that was never read here, is not in the map.
 */
export function lastKnownCatalogFacts(itemIds: readonly string[]): Map<string, CatalogFacts> {
  const out = new Map<string, CatalogFacts>();
  for (const id of new Set(itemIds)) {
    const row = recentRows.lastKnown(id);
    if (row) out.set(id, row);
  }
  return out;
}

/**
 * The rows of the given (distinct) items read from D1 now, past the memo:
 * what decides that an item does not exist, since the memo also remembers
 * absences for a minute and the item may have been added since.
 */
export async function fetchCatalogFacts(db: D1Database, unique: string[]): Promise<Map<string, CatalogFacts>> {
  if (unique.length === 0) return new Map();
  const orm = drizzle(db);
  const query = (ids: string[]) => orm.select(CATALOG_FACTS_COLUMNS).from(items).where(inArray(items.itemId, ids));
  const chunks: string[][] = [];
  for (let i = 0; i < unique.length; i += IDS_PER_QUERY) chunks.push(unique.slice(i, i + IDS_PER_QUERY));
  const [first, ...rest] = chunks.map(query);
  const results = await orm.batch([first!, ...rest]);
  return new Map(results.flat().map((r) => [r.itemId, r]));
}
