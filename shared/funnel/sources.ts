import { probeLists, searchIvfPq } from "../ann/ivfpq-search";
import { type CatalogFacts, shownIn } from "../catalog/catalog-item";
import { type ContentModel, contentVector } from "../embeddings/content-vector";
import { type PopularBlob } from "../index-format/popular";
import { annResultsWanted, annShortlist, UNCALIBRATED_ANN_KNOBS } from "../ranking/ann-request";
import { type SourceProposal } from "../ranking/merge-candidates";
import { categoryItems, covisitRows, popularItems } from "../ranking/sources";
import { withBudget } from "./budget";
import { type FunnelKnobs, STAGE_BUDGET_MS } from "./knobs";
import { type AnnHead, type FunnelHead, type FunnelPorts } from "./ports";
import { type FunnelSession } from "./session";

type Neighbours = (row: number) => { items: Uint32Array; scores: Float32Array };

/** The ANN source: the query vector searched in the IVF-PQ index, asking for as many more as the user has seen. */
export async function annSource(
  ports: FunnelPorts,
  ann: AnnHead | null,
  head: FunnelHead | null,
  query: Float32Array | null,
  seenCount: number,
  knobs: FunnelKnobs,
  degraded: string[],
): Promise<SourceProposal | null> {
  if (!ann || !query || query.length !== ann.section.dims) return null;
  const items = ann.items;
  const table = head?.table ?? null;
  const idOf = items ? (position: number) => items.ids[position] ?? null : table ? (row: number) => table.idAt(row) : null;
  if (!idOf) {
    degraded.push("ann_ids_unavailable");
    return null;
  }
  const quota = knobs.quota.ann;
  const result = await withBudget("ann", STAGE_BUDGET_MS.ann, async () => {
    const calibrated = ann.section.calibration ?? UNCALIBRATED_ANN_KNOBS;
    const nprobe = Math.min(knobs.ann.nprobe ?? calibrated.nprobe, ann.section.nlist);
    const probed = probeLists(ports.kernel, ann.head, query, nprobe);
    const fetched = await ports.index.fetchLists(ann.section, probed.lists);
    degraded.push(...fetched.degraded);
    // Seen items are dropped when sources merge; ask for that many more so the quota holds unseen ones.
    const k = annResultsWanted(quota, seenCount);
    // A shortlist set by the request's knobs is taken as given; the calibrated one keeps its margin beyond the depth asked for.
    const asked = knobs.ann.shortlist ?? null;
    const shortlist = asked !== null ? Math.max(asked, k) : annShortlist(calibrated.shortlist, k);
    const found = searchIvfPq(ports.kernel, ann.head, fetched.source, query, { k, nprobe, shortlist }, probed);
    // Rows of a paged item table are named from the shards' facts pages, else from their own pages, read now.
    if (!items && table) {
      table.adopt(fetched.facts ?? []);
      degraded.push(...(await table.prepare([], found.ids)));
    }
    return Array.from(found.ids, (id, i) => ({ itemId: idOf(id), score: found.scores[i]! })).filter(
      (x): x is { itemId: string; score: number } => x.itemId !== null,
    );
  });
  if (!result.ok) {
    degraded.push(result.degraded);
    return null;
  }
  return { source: "ann", quota, items: result.value };
}

/**
 * Co-visitation of the context item (up next, related) and of the recent
 * items (home, up next). The best rows are chosen first and only they are
 * named, so a paged item table reads their pages alone.
 */
export async function covisitSources(
  head: FunnelHead | null,
  neighbours: Neighbours | null,
  history: readonly { row: number; itemId: string; weight: number }[],
  context: { row: number; itemId: string } | null,
  withHistory: boolean,
  knobs: FunnelKnobs,
  degraded: string[],
): Promise<SourceProposal[]> {
  if (!head || !neighbours) return [];
  const picked: { source: "context" | "covisit"; quota: number; rows: ReturnType<typeof covisitRows> }[] = [];
  if (context) picked.push({ source: "context", quota: knobs.quota.context, rows: covisitRows(neighbours, [{ ...context, weight: 1 }], knobs.quota.context) });
  if (withHistory && history.length > 0)
    picked.push({ source: "covisit", quota: knobs.quota.covisit, rows: covisitRows(neighbours, history, knobs.quota.covisit) });
  degraded.push(
    ...(await head.table.prepare(
      [],
      picked.flatMap((p) => p.rows.map((r) => r.row)),
    )),
  );
  return picked.map(({ source, quota, rows }) => ({
    source,
    quota,
    items: rows.flatMap(({ row, score, becauseOf }) => {
      const itemId = head.table.idAt(row);
      return itemId === null ? [] : [{ itemId, score, becauseOf }];
    }),
  }));
}

/** Trending in the caller's region. */
export async function trendingSource(ports: FunnelPorts, region: string, knobs: FunnelKnobs, degraded: string[]): Promise<SourceProposal | null> {
  if (!ports.trending) return null;
  const trending = ports.trending;
  const result = await withBudget("trending", STAGE_BUDGET_MS.trending, () => trending.read(region, knobs.quota.trending));
  if (!result.ok) {
    degraded.push(result.degraded);
    return null;
  }
  return { source: "trending", quota: knobs.quota.trending, items: result.value };
}

/**
 * Popular items of the context item's categories (related: items like this
 * one), else of the user's strongest positive affinities, else of the
 * declared categories for a cold start.
 */
export function contentSource(
  popular: PopularBlob | null,
  itemCategories: readonly string[] | null,
  session: FunnelSession,
  knobs: FunnelKnobs,
): SourceProposal | null {
  if (!popular) return null;
  const learned = session.affinities
    .filter((a) => a.score > 0)
    .slice(0, 3)
    .map((a) => ({ category: a.category, weight: a.score }));
  const categories = itemCategories?.length
    ? itemCategories.map((category) => ({ category, weight: 1 }))
    : learned.length > 0
      ? learned
      : session.declaredCategories.map((category) => ({ category, weight: 1 }));
  if (categories.length === 0) return null;
  return { source: "content", quota: knobs.quota.content, items: categoryItems(popular, categories, knobs.quota.content) };
}

/**
 * New catalog items the index does not hold yet, shown in the caller's
 * region: newest first; with a query vector and the index's content model,
 * ordered by how well each item's content vector matches it instead, so a
 * new item reaches the users it suits.
 */
export function freshSource(
  fresh: readonly CatalogFacts[],
  head: FunnelHead | null,
  query: Float32Array | null,
  region: string,
  knobs: FunnelKnobs,
): SourceProposal | null {
  const shown = fresh.filter((f) => shownIn(f, region) && !(head && head.table.rowOf(f.itemId) >= 0));
  if (shown.length === 0) return null;
  return { source: "fresh", quota: knobs.quota.fresh, items: freshOrder(shown, head?.content ?? null, query) };
}

function freshOrder(fresh: readonly CatalogFacts[], content: ContentModel | null, query: Float32Array | null): SourceProposal["items"] {
  if (!content || !query || query.length !== content.dims) return fresh.map((f, i) => ({ itemId: f.itemId, score: fresh.length - i }));
  const v = new Float32Array(content.dims);
  return fresh
    .map((f) => {
      contentVector(content, f, v);
      let dot = 0;
      for (let k = 0; k < v.length; k++) dot += v[k]! * query[k]!;
      return { itemId: f.itemId, score: dot };
    })
    .sort((a, b) => b.score - a.score);
}

/** The editorial list of the surface in the region, in order. */
export function editorialSource(ids: readonly string[] | null, knobs: FunnelKnobs): SourceProposal | null {
  if (!ids?.length) return null;
  return { source: "editorial", quota: knobs.quota.editorial, items: ids.map((itemId, i) => ({ itemId, score: ids.length - i })) };
}

/** The popular list: always there, the funnel's last resort. */
export function popularSource(popular: PopularBlob | null, fallbackItemIds: readonly string[], knobs: FunnelKnobs): SourceProposal {
  return { source: "popular", quota: knobs.quota.popular, items: popularItems(popular, fallbackItemIds, knobs.quota.popular) };
}
