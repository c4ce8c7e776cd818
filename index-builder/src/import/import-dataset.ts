import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { EVENT_TYPES, type EventType } from "../../../shared/events/event";
import { type Dataset, type Interaction } from "../data/movielens";
import { isCountKind, type WeightKind } from "../data/weights";
import { findColumn } from "./column-names";
import { type Parsed, parseBoolean, parseId, parseLabels, parseTimestamp, parseWeight, parseYear } from "./field-values";
import { type ImportSummary, SummaryCounter } from "./import-summary";
import { ImportError, type ImportFormat, readRows } from "./row-sources";

/** Which column holds what; absent names are looked up among the usual ones (COLUMN_ALIASES). */
export type InteractionColumns = Partial<Record<"user" | "item" | "timestamp" | "weight" | "event", string>>;

export interface ImportOptions {
  interactions: string;
  items?: string;
  /** What the weight column means; with no weight column every row counts 1. */
  kind: WeightKind;
  /** Top of the rating scale for `ratings` (default 5). */
  ratingMax?: number;
  columns?: InteractionColumns;
  format?: ImportFormat;
  /** Column names of an interactions CSV/TSV that has no header line, in order. */
  header?: string[];
  itemsFormat?: ImportFormat;
  /** Dataset name in the manifest (default: the interactions file's base name). */
  name?: string;
  /**
   * When the item data is as of, epoch ms (default: the item file's modification time, else the log's): the
   * manifest's `source.itemsAsOf`, against which an operator's later catalog edits survive publication.
   */
  itemsAsOfMs?: number;
}

/**
 * Column names tried, in order, when a column is not named; case and
 * separators do not count (column-names.ts: `userID` is `user_id`).
 */
export const COLUMN_ALIASES = {
  user: ["user_id", "userId", "user", "uid", "customer_id", "visitor_id", "account_id"],
  item: ["item_id", "itemId", "item", "iid", "product_id", "movieId", "track_id", "artist_id", "song_id", "video_id", "book_id", "sku"],
  timestamp: ["timestamp", "ts", "time", "event_time", "datetime", "created_at"],
  weight: ["weight", "count", "plays", "play_count", "rating", "value", "quantity"],
  event: ["event", "event_type", "type"],
  title: ["title", "name"],
  categories: ["categories", "category", "genres", "genre"],
  created: ["created_at", "created", "release_date", "published_at", "year"],
  available: ["available", "in_stock", "active"],
} as const;

/** An item file's id column: the interaction log's item names, or a bare `id` (a catalogue's own key). */
const ITEM_FILE_ID = [...COLUMN_ALIASES.item, "id"];
const EVENT_SET = new Set<string>(EVENT_TYPES);
const MAX_TITLE = 512;
const MAX_ATTRIBUTE_TAGS = 20;

/**
 * Reads an interaction log (and optionally an item file) into the dataset
 * the builder trains on, streaming, with a summary. Interactions need a user
 * and an item column; a timestamp, a weight (read as `kind` says) and an
 * event type (one of shared/events' types) are optional. Items may carry a
 * title, categories, a created time (its year is kept), availability and
 * any other column, kept as `column:value` tags. Items met only in the log
 * get their id as title. The first bad value stops the import with an
 * ImportError naming the file and the line (text) or row (Parquet).
 */
export async function importDataset(options: ImportOptions): Promise<{ dataset: Dataset; summary: ImportSummary }> {
  const file = options.interactions;
  const counter = new SummaryCounter(options.kind);
  const ids = new Map<string, string>();
  const intern = (raw: unknown, where: string, what: string): string => {
    const parsed = must(parseId(raw), file, where, what);
    const known = ids.get(parsed.id);
    if (known !== undefined) return known;
    ids.set(parsed.id, parsed.id);
    if (parsed.rewritten) counter.rewritten.add(parsed.id);
    return parsed.id;
  };
  const interactions: Interaction[] = [];
  let columns: Required<Pick<InteractionColumns, "user" | "item">> & InteractionColumns = { user: "", item: "" };
  let first = true;
  const ratingMax = options.ratingMax ?? 5;
  for await (const { fields, where, columns: names } of readRows(file, options.format, options.header)) {
    if (first) {
      columns = resolveInteractionColumns(file, [...(names ?? Object.keys(fields))], options.columns ?? {});
      counter.columns = columns;
      first = false;
    }
    const userId = intern(fields[columns.user], where, `user (column "${columns.user}")`);
    const itemId = intern(fields[columns.item], where, `item (column "${columns.item}")`);
    const timestampMs = columns.timestamp ? must(parseTimestamp(fields[columns.timestamp]), file, where, `column "${columns.timestamp}"`) : 0;
    const weight = columns.weight ? must(parseWeight(fields[columns.weight]), file, where, `column "${columns.weight}"`) : null;
    const type = columns.event ? eventType(fields[columns.event], file, where) : undefined;
    const x: Interaction = { userId, itemId, rating: null, timestampMs };
    if (type) {
      x.type = type;
      if (type === "rating") x.rating = (must(weightPresent(weight), file, where, "a rating event's weight") * 5) / ratingMax;
      if (type === "watch") x.seconds = weight ?? 0;
    } else if (isCountKind(options.kind)) {
      if (weight === 0) {
        counter.zeroRows++;
        continue;
      }
      if (weight !== null) x.count = weight;
    } else {
      const stars = must(weightPresent(weight), file, where, "a rating");
      if (stars <= 0 || stars > ratingMax)
        throw new ImportError(file, where, `rating ${stars} is outside (0, ${ratingMax}] (set --rating-max for another scale)`);
      x.rating = stars;
    }
    counter.add(x, weight, type);
    interactions.push(x);
  }
  if (interactions.length === 0) throw new ImportError(file, null, "no interactions");
  const items = options.items ? await importItems(options.items, options.itemsFormat, counter) : [];
  const known = new Set(items.map((item) => item.itemId));
  for (const itemId of counter.itemIds()) {
    if (!known.has(itemId)) items.push({ itemId, title: itemId, categories: [], year: null, tags: [], available: true });
  }
  // Without an item file the items are the log's, with nothing an operator could have withdrawn since: they are as of the log.
  const itemsAsOfMs = options.itemsAsOfMs ?? Math.floor((await stat(options.items ?? file)).mtimeMs);
  const name = options.name ?? basename(file).replace(/\.[^.]+$/, "");
  const dataset: Dataset = { name, items, interactions, weightKind: options.kind, ratingMax, itemsAsOfMs };
  return { dataset, summary: counter.summary(file, items.length) };
}

/** Reads an item file: id, title, categories, created time, availability, other columns as tags. */
async function importItems(file: string, format: ImportFormat | undefined, counter: SummaryCounter): Promise<CatalogItem[]> {
  const items = new Map<string, CatalogItem>();
  let names: { item: string; title?: string; categories?: string; created?: string; available?: string } | null = null;
  for await (const { fields, where } of readRows(file, format)) {
    if (!names) {
      const keys = Object.keys(fields);
      const item = findColumn(keys, ITEM_FILE_ID);
      if (!item) throw new ImportError(file, null, `no item id column (looked for ${ITEM_FILE_ID.join(", ")}, in any case)`);
      names = {
        item,
        title: findColumn(keys, COLUMN_ALIASES.title),
        categories: findColumn(keys, COLUMN_ALIASES.categories),
        created: findColumn(keys, COLUMN_ALIASES.created),
        available: findColumn(keys, COLUMN_ALIASES.available),
      };
    }
    const parsed = must(parseId(fields[names.item]), file, where, `item (column "${names.item}")`);
    if (items.has(parsed.id)) throw new ImportError(file, where, `item "${parsed.id}" listed twice`);
    if (parsed.rewritten) counter.rewritten.add(parsed.id);
    const title = names.title
      ? String(fields[names.title] ?? "")
          .trim()
          .slice(0, MAX_TITLE)
      : "";
    const used = new Set(Object.values(names).filter((n): n is string => n !== undefined));
    const tags = Object.entries(fields)
      .filter(([k, v]) => !used.has(k) && v !== null && v !== undefined && String(v).trim() !== "")
      .slice(0, MAX_ATTRIBUTE_TAGS)
      .map(([k, v]) => `${k}:${String(v).trim()}`.slice(0, 64));
    items.set(parsed.id, {
      itemId: parsed.id,
      title: title || parsed.id,
      categories: names.categories ? parseLabels(fields[names.categories]) : [],
      year: names.created ? parseYear(fields[names.created]) : null,
      tags,
      available: names.available ? must(parseBoolean(fields[names.available], true), file, where, `column "${names.available}"`) : true,
    });
  }
  return [...items.values()];
}

function resolveInteractionColumns(
  file: string,
  keys: string[],
  named: InteractionColumns,
): Required<Pick<InteractionColumns, "user" | "item">> & InteractionColumns {
  const pick = (what: keyof InteractionColumns, required: boolean): string | undefined => {
    const name = named[what];
    if (name !== undefined) {
      if (!keys.includes(name)) throw new ImportError(file, null, `no column "${name}" (columns: ${keys.join(", ")})`);
      return name;
    }
    const found = findColumn(keys, COLUMN_ALIASES[what]);
    if (!found && required) {
      // A first line of numbers is data, not names: MovieLens-100K's u.data and other exports without a header.
      const headerless = keys.length > 0 && keys.every((k) => k.trim() !== "" && Number.isFinite(Number(k)));
      throw new ImportError(
        file,
        null,
        headerless
          ? `the first line (${keys.join(", ")}) looks like data, not column names: name the columns in order with --header, e.g. --header user,item,weight,timestamp`
          : `no ${what} column (looked for ${COLUMN_ALIASES[what].join(", ")}, in any case; name it with --${what}-column)`,
      );
    }
    return found;
  };
  return {
    user: pick("user", true)!,
    item: pick("item", true)!,
    timestamp: pick("timestamp", false),
    weight: pick("weight", false),
    event: pick("event", false),
  };
}

function eventType(raw: unknown, file: string, where: string): EventType {
  const text = String(raw ?? "")
    .trim()
    .toLowerCase();
  if (text === "") throw new ImportError(file, where, `event type missing: one of ${EVENT_TYPES.join(", ")}`);
  if (!EVENT_SET.has(text)) throw new ImportError(file, where, `event type "${String(raw)}" is not one of ${EVENT_TYPES.join(", ")}`);
  return text as EventType;
}

function weightPresent(weight: number | null): Parsed<number> {
  return weight === null ? { problem: "needs a weight column" } : { value: weight };
}

function must<T>(parsed: Parsed<T>, file: string, where: string, what: string): T {
  if ("problem" in parsed) throw new ImportError(file, where, `${what}: ${parsed.problem}`);
  return parsed.value;
}
