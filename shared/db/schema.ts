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
  (t) => [index("items_updated_at_idx").on(t.updatedAt)],
);

export type ItemRow = typeof items.$inferSelect;
export type NewItemRow = typeof items.$inferInsert;
