import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The item catalog, published by the index builder and read by the Worker. */
export const items = sqliteTable(
  "items",
  {
    itemId: text("item_id").primaryKey(),
    title: text("title").notNull(),
    categories: text("categories", { mode: "json" }).$type<string[]>().notNull(),
    year: integer("year"),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull(),
    available: integer("available", { mode: "boolean" }).notNull().default(true),
    /** Lower-case country codes where the item may not be shown (licensing, law). */
    blockedRegions: text("blocked_regions", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    /** Index version whose publication last wrote this row. */
    indexVersion: text("index_version"),
    /** Epoch milliseconds of the last write. */
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("items_updated_at_idx").on(t.updatedAt),
    // The Worker's catalog overlay (worker/src/catalog/catalog-overlay.ts) reads these without a table scan:
    // items no index holds yet, newest first; and the few items restricted (unavailable or region-blocked).
    index("items_unindexed_idx").on(t.indexVersion, t.updatedAt),
    index("items_restricted_idx").on(t.itemId).where(sql`available = 0 OR blocked_regions <> '[]'`),
  ],
);

export type ItemRow = typeof items.$inferSelect;
export type NewItemRow = typeof items.$inferInsert;
