import { ID_RULE, isValidId } from "../ids";

/** An item as the builder publishes it and `GET /v1/items/:id` returns it. */
export interface CatalogItem {
  itemId: string;
  title: string;
  categories: string[];
  year: number | null;
  tags: string[];
  available: boolean;
  /** Lower-case country codes where the item may not be shown; absent means none. */
  blockedRegions?: string[];
}

/** A catalog row as the funnel reads it (titles, live availability, region blocks, content). */
export type CatalogFacts = Required<CatalogItem>;

/** Whether the catalogue lets `region` see the item: available and not blocked there. */
export const shownIn = (row: Pick<CatalogFacts, "available" | "blockedRegions">, region: string): boolean =>
  row.available && !row.blockedRegions.includes(region);

/** Most items accepted in one catalog upsert request. */
export const MAX_ITEMS_PER_UPSERT = 500;

const MAX_TITLE_LENGTH = 512;
const MAX_LABELS = 64;
const MAX_LABEL_LENGTH = 64;

/**
 * Checks one catalog item; returns the problem as `field: reason`, or null.
 * Labels (categories, tags) are short free text, deduplicated by the builder.
 */
export function catalogItemProblem(v: unknown): string | null {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "item: must be an object";
  const item = v as Record<string, unknown>;
  if (!isValidId(item.itemId)) return `itemId: ${ID_RULE}`;
  if (typeof item.title !== "string" || item.title.length === 0 || item.title.length > MAX_TITLE_LENGTH) {
    return `title: 1-${MAX_TITLE_LENGTH} characters`;
  }
  for (const field of ["categories", "tags"] as const) {
    const labels = item[field];
    if (!Array.isArray(labels) || labels.length > MAX_LABELS) return `${field}: an array of at most ${MAX_LABELS} strings`;
    if (!labels.every((l) => typeof l === "string" && l.length > 0 && l.length <= MAX_LABEL_LENGTH)) {
      return `${field}: each entry 1-${MAX_LABEL_LENGTH} characters`;
    }
  }
  if (item.year !== null && !(Number.isInteger(item.year) && (item.year as number) >= 1800 && (item.year as number) <= 2200)) {
    return "year: an integer from 1800 to 2200, or null";
  }
  if (typeof item.available !== "boolean") return "available: true or false";
  if (item.blockedRegions !== undefined) {
    const r = item.blockedRegions;
    if (!Array.isArray(r) || r.length > 250 || !r.every((x) => typeof x === "string" && /^[a-z]{2}$/.test(x))) {
      return "blockedRegions: an array of lower-case two-letter country codes";
    }
  }
  const known = new Set(["itemId", "title", "categories", "year", "tags", "available", "blockedRegions"]);
  const unknown = Object.keys(item).find((k) => !known.has(k));
  if (unknown !== undefined) return `${unknown}: unknown field`;
  return null;
}
