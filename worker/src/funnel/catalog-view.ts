import { categoriesAt, findItem, isAvailable } from "../../../shared/catalog/item-table";
import { type PopularItem } from "../../../shared/index-format/popular";
import { type Candidate, type ItemFacts } from "../../../shared/ranking/candidate";
import { type RankedEntry } from "../../../shared/ranking/ranked-list";
import { reasonsFor } from "../../../shared/ranking/reasons";
import { type RecommendedItem } from "../../../shared/ranking/recommended-item";
import { type CatalogFacts, catalogFacts } from "../catalog/d1-catalog";
import { type CatalogOverlay, catalogOverlay, OVERLAY_FRESH_ROWS } from "../catalog/catalog-overlay";
import { type ServerTiming } from "../http/server-timing";
import { type LoadedIndex } from "../index-store/index-cache";
import { withBudget } from "./budget";
import { type FunnelHead, loadFunnelHead, titlesOfRows } from "./funnel-store";

/**
 * What the index and the catalog say about items, for ranking and for the
 * page a response shows: facts, whether an item may be shown in a region,
 * titles. The index is a snapshot; the catalog overlay (catalog-overlay.ts)
 * is what changed since; D1 is asked directly only about what neither knows.
 */

/** Wall-clock budget (ms) of a page's title lookups. */
const TITLES_BUDGET_MS = 200;

/**
 * A page of a ranked list as the response shows it: titles (overlay, else
 * the index's title pages, else D1) and reasons, which name titles. Only the
 * page's items are looked up, so a long list costs no more than its page.
 */
export async function renderPage(
  env: Env,
  index: LoadedIndex,
  entries: readonly RankedEntry[],
  firstRank: number,
  req: { region: string; contextItemId: string | null },
  /** Titles already known (rendered before from the same list). */
  known: Readonly<Record<string, string>>,
  timing: ServerTiming,
  defer: (work: Promise<unknown>) => void,
): Promise<{ items: RecommendedItem[]; titles: Record<string, string>; degraded: string[] }> {
  const degraded: string[] = [];
  const wanted = [...entries.map((e) => e.itemId), ...entries.flatMap((e) => (e.becauseOf ? [e.becauseOf] : [])), ...(req.contextItemId ? [req.contextItemId] : [])];
  const ids = wanted.filter((id) => !(id in known));
  const read = await timing.measure("titles", () =>
    withBudget("titles", TITLES_BUDGET_MS, async () => {
      if (ids.length === 0) return new Map<string, string>();
      const [head, overlay] = await Promise.all([
        index.manifest.funnel ? loadFunnelHead(env.INDEX_KV, index.manifest) : null,
        catalogOverlay(env.DB, index.version, index.publishedAtMs, OVERLAY_FRESH_ROWS, defer).catch(() => null),
      ]);
      const usableHead = head && !("degraded" in head) ? head : null;
      return titlesOf(env.DB, env.INDEX_KV, index, usableHead, overlay, ids, degraded);
    }),
  );
  if (!read.ok) degraded.push(read.degraded);
  const titles: Record<string, string> = {};
  for (const id of wanted) {
    const title = known[id] ?? (read.ok ? read.value.get(id) : undefined);
    if (title) titles[id] = title;
  }
  const titleOf = (id: string) => titles[id] ?? null;
  const items = entries.map((e, i) => ({
    itemId: e.itemId,
    title: titleOf(e.itemId),
    score: e.score,
    rank: firstRank + i,
    sources: e.sources,
    reasons: reasonsFor(
      { itemId: e.itemId, sources: Object.fromEntries(e.sources.map((source) => [source, 0])), ...(e.becauseOf ? { becauseOf: e.becauseOf } : {}) },
      { explored: e.explored, region: req.region, contextTitle: req.contextItemId ? titleOf(req.contextItemId) : null, titleOf, categories: e.interests },
    ),
    propensity: e.propensity,
  }));
  return { items, titles, degraded: [...new Set(degraded)].sort() };
}

/**
 * What ranking knows of an item: the catalog overlay's row first (items new
 * since the build, or changed or restricted since), then the item table,
 * then the popular blob. Unavailable covers blocked in the caller's region.
 */
export function factsOf(
  c: Candidate,
  head: FunnelHead | null,
  overlay: ReadonlyMap<string, CatalogFacts>,
  region: string,
  popular: ReadonlyMap<string, PopularItem>,
): ItemFacts | null {
  const row = head ? findItem(head.table, c.itemId) : -1;
  const o = overlay.get(c.itemId);
  if (o) {
    return {
      itemId: c.itemId,
      title: o.title,
      categories: o.categories,
      year: o.year,
      popularity: head && row >= 0 ? (head.table.popularity[row] ?? 0) : 0,
      available: o.available && !o.blockedRegions.includes(region),
      fresh: row < 0,
    };
  }
  if (!head || row < 0) {
    const p = popular.get(c.itemId);
    return p ? { itemId: c.itemId, title: p.title, categories: p.categories, year: null, popularity: p.score, available: true, fresh: false } : null;
  }
  return {
    itemId: c.itemId,
    title: "",
    categories: categoriesAt(head.table, row).map((k) => head.section.categories[k]!),
    year: head.table.year[row] || null,
    popularity: head.table.popularity[row] ?? 0,
    available: isAvailable(head.table, row),
    fresh: false,
  };
}

/** Whether an item may be shown by what the overlay and the item table say: null when neither knows. */
function visibleByIndex(itemId: string, head: FunnelHead | null, overlay: CatalogOverlay | null, region: string): boolean | null {
  const o = overlay?.rows.get(itemId);
  if (o) return o.available && !o.blockedRegions.includes(region);
  const row = head ? findItem(head.table, itemId) : -1;
  return overlay?.complete && head && row >= 0 ? isAvailable(head.table, row) : null;
}

/**
 * The placed items that may be shown in `region`: the overlay and the item
 * table decide without I/O; D1 is asked only about what they cannot decide
 * (no overlay, an incomplete one, or items the index does not hold).
 */
export async function visibleItems(
  db: D1Database,
  head: FunnelHead | null,
  overlay: CatalogOverlay | null,
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
  const rows = await catalogFacts(db, ask);
  for (const itemId of ask) {
    const row = rows.get(itemId);
    // Unknown to the catalog too (a pin of an id not published yet): shown, untitled.
    if (!row || (row.available && !row.blockedRegions.includes(region))) out.add(itemId);
  }
  return out;
}

/**
 * Titles of items: the overlay's rows, else the index's title pages, else
 * D1 (for what the index does not hold, or everything when the overlay is
 * missing or incomplete or the index has no title pages).
 */
async function titlesOf(
  db: D1Database,
  kv: KVNamespace,
  index: LoadedIndex,
  head: FunnelHead | null,
  overlay: CatalogOverlay | null,
  itemIds: readonly string[],
  degraded: string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const fromIndex: { itemId: string; row: number }[] = [];
  const ask: string[] = [];
  const trustIndex = overlay?.complete === true && head?.section.titlePageSize !== undefined;
  for (const itemId of new Set(itemIds)) {
    const o = overlay?.rows.get(itemId);
    const row = head ? findItem(head.table, itemId) : -1;
    if (o) out.set(itemId, o.title);
    else if (trustIndex && row >= 0) fromIndex.push({ itemId, row });
    else ask.push(itemId);
  }
  const [titles, asked] = await Promise.all([
    fromIndex.length > 0 && head ? titlesOfRows(kv, index.manifest, head, fromIndex.map((x) => x.row)) : null,
    catalogFacts(db, ask),
  ]);
  degraded.push(...(titles?.degraded ?? []));
  for (const { itemId, row } of fromIndex) {
    const title = titles?.titles.get(row);
    if (title) out.set(itemId, title);
  }
  for (const [itemId, row] of asked) out.set(itemId, row.title);
  return out;
}
