import { eq, inArray, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { items } from "../../../shared/db/schema";

/** D1 allows 100 bound parameters per statement; an item row binds 8. */
const ROWS_PER_STATEMENT = 12;

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
  };
}

/** Inserts or replaces items in one D1 batch, which D1 runs as one transaction. */
export async function upsertCatalogItems(
  db: D1Database,
  list: CatalogItem[],
  indexVersion: string | null,
  nowMs: number,
): Promise<number> {
  if (list.length === 0) return 0;
  const orm = drizzle(db);
  const rows = list.map((item) => ({ ...item, indexVersion, updatedAt: nowMs }));
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
            available: sql`excluded.available`,
            indexVersion: sql`excluded.index_version`,
            updatedAt: sql`excluded.updated_at`,
          },
        }),
    );
  }
  const [first, ...rest] = statements;
  if (first) await orm.batch([first, ...rest]);
  return rows.length;
}

/** Bound parameters per `IN (...)` lookup, under D1's limit of 100. */
const IDS_PER_LOOKUP = 90;

/** Categories of the given items (unknown items are absent from the result). */
export async function categoriesOf(db: D1Database, itemIds: readonly string[]): Promise<Record<string, string[]>> {
  const orm = drizzle(db);
  const unique = [...new Set(itemIds)];
  const out: Record<string, string[]> = {};
  for (let i = 0; i < unique.length; i += IDS_PER_LOOKUP) {
    const rows = await orm
      .select({ itemId: items.itemId, categories: items.categories })
      .from(items)
      .where(inArray(items.itemId, unique.slice(i, i + IDS_PER_LOOKUP)));
    for (const row of rows) out[row.itemId] = row.categories;
  }
  return out;
}

/** Number of catalog rows, for health reporting. */
export async function countCatalogItems(db: D1Database): Promise<number> {
  const row = await drizzle(db).select({ n: sql<number>`count(*)` }).from(items).get();
  return row?.n ?? 0;
}
