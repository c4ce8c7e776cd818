import { type RankedEntry } from "../../../shared/ranking/ranked-list";
import { reasonsFor } from "../../../shared/ranking/reasons";
import { type RecommendedItem } from "../../../shared/ranking/recommended-item";
import { catalogFacts } from "../catalog/d1-catalog";
import { type CatalogOverlay, catalogOverlay, OVERLAY_FRESH_ROWS } from "../catalog/catalog-overlay";
import { type ServerTiming } from "../http/server-timing";
import { type LoadedIndex } from "../index-store/index-cache";
import { withBudget } from "../../../shared/funnel/budget";
import { type FunnelHead } from "../../../shared/funnel/ports";
import { loadFunnelHead, titlesOfRows } from "../index-store/funnel-store";
import { type ItemLookup } from "../../../shared/catalog/item-lookup";
import { dataRecord, ownValue } from "../../../shared/data-record";

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
  /**
   * Titles already known (rendered before from the same list), and the item
   * table view of the funnel run that made the list, when this request ran
   * it: the rows of the page's items, so their title pages are read in one
   * round without reading id pages first.
   */
  from: { titles: Readonly<Record<string, string>>; table: ItemLookup | null },
  timing: ServerTiming,
  defer: (work: Promise<unknown>) => void,
): Promise<{ items: RecommendedItem[]; titles: Record<string, string>; degraded: string[] }> {
  const degraded: string[] = [];
  const wanted = [
    ...entries.map((e) => e.itemId),
    ...entries.flatMap((e) => (e.becauseOf ? [e.becauseOf] : [])),
    ...(req.contextItemId ? [req.contextItemId] : []),
  ];
  // Own keys only: an item may be called "constructor" or "__proto__".
  const known = from.titles;
  const ids = wanted.filter((id) => !Object.hasOwn(known, id));
  const read = await timing.measure("titles", () =>
    withBudget("titles", TITLES_BUDGET_MS, async () => {
      if (ids.length === 0) return new Map<string, string>();
      const [head, overlay] = await Promise.all([
        index.manifest.funnel ? loadFunnelHead(env.INDEX_KV, index.manifest) : null,
        catalogOverlay(env.DB, index.version, index.publishedAtMs, OVERLAY_FRESH_ROWS, defer).catch(() => null),
      ]);
      const usableHead = head && !("degraded" in head) ? head : null;
      return titlesOf(env.DB, env.INDEX_KV, index, usableHead, from.table, overlay, ids, degraded);
    }),
  );
  if (!read.ok) degraded.push(read.degraded);
  const titles = dataRecord<string>();
  for (const id of wanted) {
    const title = ownValue(known, id) ?? (read.ok ? read.value.get(id) : undefined);
    if (title) titles[id] = title;
  }
  const titleOf = (id: string) => ownValue(titles, id) ?? null;
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
 * Titles of items: the overlay's rows, else the index's title pages, else
 * D1 (for what the index does not hold, or everything when the overlay is
 * missing or incomplete or the index has no title pages).
 */
async function titlesOf(
  db: D1Database,
  kv: KVNamespace,
  index: LoadedIndex,
  head: FunnelHead | null,
  funnelTable: ItemLookup | null,
  overlay: CatalogOverlay | null,
  itemIds: readonly string[],
  degraded: string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const fromIndex: { itemId: string; row: number }[] = [];
  const ask: string[] = [];
  const trustIndex = overlay?.complete === true && head?.section.titlePageSize !== undefined;
  // Rows of the ids: the funnel's view knows those of its candidates; others (or all, on a cached list) come from id pages.
  const table = trustIndex && head ? (funnelTable ?? head.table.view()) : null;
  if (table) degraded.push(...(await table.prepare(itemIds, [])));
  for (const itemId of new Set(itemIds)) {
    const o = overlay?.rows.get(itemId);
    const row = table ? table.rowOf(itemId) : -1;
    if (o) out.set(itemId, o.title);
    else if (trustIndex && row >= 0) fromIndex.push({ itemId, row });
    else ask.push(itemId);
  }
  const [titles, asked] = await Promise.all([
    fromIndex.length > 0 && head
      ? titlesOfRows(
          kv,
          index.manifest,
          head,
          fromIndex.map((x) => x.row),
        )
      : null,
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
