import { type CatalogFacts, shownIn } from "../catalog/catalog-item";
import { categoriesOf } from "../catalog/item-lookup";
import { type PopularBlob, type PopularItem } from "../index-format/popular";
import { type ItemFacts } from "../ranking/candidate";
import { type CatalogPort, type CatalogView, type FunnelHead } from "./ports";

/**
 * What ranking knows of an item: the catalog overlay's row first (items new
 * since the build, or changed or restricted since), then the item table,
 * then the popular list. Unavailable covers blocked in the caller's region.
 */
export function factsOf(
  itemId: string,
  head: FunnelHead | null,
  overlay: ReadonlyMap<string, CatalogFacts>,
  region: string,
  popular: ReadonlyMap<string, PopularItem>,
): ItemFacts | null {
  const row = head ? head.table.rowOf(itemId) : -1;
  const o = overlay.get(itemId);
  if (o) {
    return {
      itemId,
      title: o.title,
      categories: o.categories,
      year: o.year,
      popularity: head && row >= 0 ? head.table.popularity(row) : 0,
      available: shownIn(o, region),
      fresh: row < 0,
    };
  }
  if (!head || row < 0) {
    const p = popular.get(itemId);
    return p ? { itemId, title: p.title, categories: p.categories, year: null, popularity: p.score, available: true, fresh: false } : null;
  }
  return {
    itemId,
    title: "",
    categories: categoriesOf(head.table, row).map((k) => head.section.categories[k]!),
    year: head.table.year(row) || null,
    popularity: head.table.popularity(row),
    available: head.table.available(row),
    fresh: false,
  };
}

const popularIndexes = new WeakMap<PopularBlob, Map<string, PopularItem>>();

/** The popular list's items by id, built once per loaded list. */
export function popularById(popular: PopularBlob | null): ReadonlyMap<string, PopularItem> {
  if (!popular) return new Map();
  let map = popularIndexes.get(popular);
  if (!map) {
    map = new Map(popular.items.map((x) => [x.itemId, x]));
    popularIndexes.set(popular, map);
  }
  return map;
}

/** Whether an item may be shown by what the overlay and the item table say: null when neither knows. */
function visibleByIndex(itemId: string, head: FunnelHead | null, overlay: CatalogView | null, region: string): boolean | null {
  const o = overlay?.rows.get(itemId);
  if (o) return shownIn(o, region);
  const row = head ? head.table.rowOf(itemId) : -1;
  return overlay?.complete && head && row >= 0 ? head.table.available(row) : null;
}

/**
 * Visibility from what is known without asking the catalogue, failing
 * closed: the overlay's row when it names the item, else the item table's
 * availability as of the build; an item neither knows is not shown.
 */
export function knownVisible(head: FunnelHead | null, overlay: CatalogView | null, itemIds: readonly string[], region: string): Set<string> {
  const out = new Set<string>();
  for (const itemId of itemIds) {
    const o = overlay?.rows.get(itemId);
    const row = head ? head.table.rowOf(itemId) : -1;
    if (o ? shownIn(o, region) : row >= 0 && head!.table.available(row)) out.add(itemId);
  }
  return out;
}

/**
 * The placed items that may be shown in `region`: the overlay and the item
 * table decide without I/O; the catalog is asked only about what they
 * cannot decide (no overlay, an incomplete one, or items the index does not
 * hold). An item the catalog does not hold either (a pin of an id not
 * published yet) is shown, untitled.
 */
export async function visibleItems(
  catalog: CatalogPort,
  head: FunnelHead | null,
  overlay: CatalogView | null,
  itemIds: readonly string[],
  region: string,
): Promise<Set<string>> {
  const out = new Set<string>();
  const ask: string[] = [];
  for (const itemId of itemIds) {
    const known = visibleByIndex(itemId, head, overlay, region);
    if (known === null) ask.push(itemId);
    else if (known) out.add(itemId);
  }
  const rows = ask.length > 0 ? await catalog.rowsOf(ask) : new Map<string, CatalogFacts>();
  for (const itemId of ask) {
    const row = rows.get(itemId);
    if (!row || shownIn(row, region)) out.add(itemId);
  }
  return out;
}
