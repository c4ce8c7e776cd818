import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { type VariantOverrides } from "../experiments/experiment";

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
    blockedRegions: text("blocked_regions", { mode: "json" })
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'`),
    /** Index version whose publication last wrote this row. */
    indexVersion: text("index_version"),
    /** Epoch milliseconds of the last write. */
    updatedAt: integer("updated_at").notNull(),
    /**
     * Epoch milliseconds of the last write outside a publication (an operator's): a publication whose item data is
     * older keeps this row's `available` and `blocked_regions` (worker/src/catalog/d1-catalog.ts). Null: never edited.
     */
    editedAt: integer("edited_at"),
  },
  (t) => [
    index("items_updated_at_idx").on(t.updatedAt),
    // The Worker's catalog overlay (worker/src/catalog/catalog-overlay.ts) reads these without a table scan:
    // items no index holds yet, newest first; and the few items restricted (unavailable or region-blocked).
    index("items_unindexed_idx").on(t.indexVersion, t.updatedAt),
    index("items_restricted_idx")
      .on(t.itemId)
      .where(sql`available = 0 OR blocked_regions <> '[]'`),
  ],
);

export type ItemRow = typeof items.$inferSelect;
export type NewItemRow = typeof items.$inferInsert;

/** Experiments (shared/experiments/experiment.ts); JSON columns hold the variants and per-region allocation. */
export const experiments = sqliteTable(
  "experiments",
  {
    experimentId: text("experiment_id").primaryKey(),
    name: text("name").notNull(),
    layer: text("layer").notNull(),
    salt: text("salt").notNull(),
    /** draft, running or stopped. */
    status: text("status").notNull(),
    /** The layer buckets it owns, [start, end) of 10000. */
    trafficStart: integer("traffic_start").notNull(),
    trafficEnd: integer("traffic_end").notNull(),
    control: text("control").notNull(),
    variants: text("variants", { mode: "json" }).$type<{ id: string; overrides: VariantOverrides }[]>().notNull(),
    allocation: text("allocation", { mode: "json" }).$type<Record<string, Record<string, number>>>().notNull(),
    surfaces: text("surfaces", { mode: "json" })
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'`),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    startedAt: integer("started_at"),
    stoppedAt: integer("stopped_at"),
  },
  (t) => [index("experiments_status_idx").on(t.status)],
);

/** Settings of the experiment system as a whole (the global holdout), one JSON value per key. */
export const experimentSettings = sqliteTable("experiment_settings", {
  key: text("key").primaryKey(),
  value: text("value", { mode: "json" }).notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** One row per change of an experiment or setting: who can tell what ran when. */
export const experimentAudit = sqliteTable(
  "experiment_audit",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    /** The experiment id, or "settings:<key>". */
    subject: text("subject").notNull(),
    /** create, update, start, stop, set. */
    action: text("action").notNull(),
    /** The row after the change, as JSON. */
    after: text("after", { mode: "json" }).notNull(),
    at: integer("at").notNull(),
    requestId: text("request_id"),
  },
  (t) => [index("experiment_audit_subject_idx").on(t.subject, t.seq)],
);

export type ExperimentRow = typeof experiments.$inferSelect;

/**
 * One row per erasure (DELETE /v1/users/:id): what was removed from which
 * store, and when. The user appears only as `subject`, a keyed hash of their
 * id (shared/privacy/erasure-tag.ts): an operator holding the id can find the
 * receipt, a reader of this table alone cannot tell whom it was about.
 */
export const erasureReceipts = sqliteTable(
  "erasure_receipts",
  {
    receiptId: text("receipt_id").primaryKey(),
    subject: text("subject").notNull(),
    requestedAt: integer("requested_at").notNull(),
    completedAt: integer("completed_at").notNull(),
    /** Per store: `{store, removed: {what: count}, note?}`, as JSON. */
    stores: text("stores", { mode: "json" }).notNull(),
    requestId: text("request_id"),
  },
  (t) => [index("erasure_receipts_subject_idx").on(t.subject, t.requestedAt)],
);

export type ErasureReceiptRow = typeof erasureReceipts.$inferSelect;
