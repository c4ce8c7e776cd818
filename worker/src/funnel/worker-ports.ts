import { type FunnelPorts, type HeavyModel, type StageTiming } from "../../../shared/funnel/ports";
import { type ItemLookup } from "../../../shared/catalog/item-lookup";
import { RANKER_BLOBS } from "../../../shared/ranking/onnx-ranker";
import { workerdKernel } from "../ann/workerd-kernel";
import { Memo } from "../cache/memo";
import { catalogFacts } from "../catalog/d1-catalog";
import { catalogOverlay, OVERLAY_FRESH_ROWS } from "../catalog/catalog-overlay";
import { type ConfigSnapshot, editorialFor, editorialOf, policyFor, policyOf } from "../config/config-store";
import { type DecisionInputsSeen } from "../experiments/decision-snapshots";
import { fetchLists, loadAnnHead } from "../index-store/ann-store";
import { covisitOfRows, loadFunnelHead, vectorsOfRows } from "../index-store/funnel-store";
import { type LoadedIndex } from "../index-store/index-cache";
import { heavyRank, rankerFailed, rankerReady, warmRanker } from "../ranker/heavy-rank";
import { loadRanker } from "../ranker/load-ranker";
import { redisFromEnv } from "../redis/redis-client";
import { DEFAULT_TRENDING, readTrending } from "../redis/trending";

/** Trending lists change by the hour; each isolate reads a region's at most every 30 s. */
const trendingMemo = new Memo<{ itemId: string; score: number }[]>(30_000, 64);

/**
 * The funnel's ports bound to this Worker's bindings: the version's blobs in
 * KV (through the isolate's caches), the catalog overlay and rows in D1,
 * trending in Redis, configs in KV, the heavy ranker in onnxruntime-web.
 * `defer` keeps background work (warming ORT, refreshing the overlay) alive
 * after the response. `seen` hears when the trending list read was read
 * from Redis, and the trending list and catalogue overlay the funnel used
 * (what an offline replay decides the list again with). `onTableView` hears
 * of the item-table view the funnel takes: the route renders the list's
 * first page from it, which knows the rows of every candidate. `config`,
 * when the route read it (its stamp keys the list cache), is the policy and
 * editorial the list is made under; without it they are read here.
 */
export function workerFunnelPorts(
  env: Env,
  index: LoadedIndex,
  timing: StageTiming,
  defer: (work: Promise<unknown>) => void,
  seen: DecisionInputsSeen = { trendingAsOfMs: null },
  onTableView: (view: ItemLookup) => void = () => {},
  config: ConfigSnapshot | null = null,
): FunnelPorts {
  const kv = env.INDEX_KV;
  const { manifest } = index;
  const redis = redisFromEnv(env);
  return {
    index: {
      version: index.version,
      popular: index.popular,
      fallbackItemIds: manifest.fallbackItemIds,
      degraded: index.degraded,
      lightWeights: manifest.ranking?.light ?? null,
      order: manifest.ranking?.order ?? null,
      funnelHead: async () => {
        const head = manifest.funnel ? await loadFunnelHead(kv, manifest) : null;
        return head && !("degraded" in head) ? { ...head, table: reportingViews(head.table, onTableView) } : head;
      },
      annHead: async () => (manifest.ann ? loadAnnHead(kv, manifest) : null),
      vectorsOfRows: (head, rows) => vectorsOfRows(kv, manifest, head, rows),
      covisitOfRows: (head, rows) => covisitOfRows(kv, manifest, head, rows),
      fetchLists: (section, lists) => fetchLists(kv, manifest, section, lists),
    },
    kernel: workerdKernel(),
    trending: redis
      ? {
          read: async (region, limit) => {
            const key = `${region}|${limit}`;
            const memo = trendingMemo.entry(key);
            if (memo) {
              seen.trendingAsOfMs = memo.at;
              seen.trending = memo.value;
              return memo.value;
            }
            const readAtMs = Date.now();
            const items = await readTrending(redis, region, readAtMs, { ...DEFAULT_TRENDING, limit });
            trendingMemo.set(key, items, readAtMs);
            seen.trendingAsOfMs = readAtMs;
            seen.trending = items;
            return items;
          },
        }
      : null,
    config: {
      policy: async (surface) => (config ? policyOf(config.policy, surface) : policyFor(kv, surface)),
      editorial: async (surface, region) => (config ? editorialOf(config.editorial, surface, region) : editorialFor(kv, surface, region)),
    },
    catalog: {
      overlay: async () => (seen.overlay = await catalogOverlay(env.DB, index.version, index.publishedAtMs, OVERLAY_FRESH_ROWS, defer)),
      rowsOf: (itemIds) => catalogFacts(env.DB, itemIds),
    },
    ranker: {
      load: async () => {
        if (!manifest.blobs[RANKER_BLOBS.model]) return null;
        const ranker = await loadRanker(kv, manifest);
        if ("degraded" in ranker) return ranker;
        const model: HeavyModel = {
          // On an isolate where ORT is not ready yet, loading starts in the background and the light scores stand.
          state: () => {
            if (rankerFailed(ranker.modelSha256)) return "failed";
            if (rankerReady(ranker.modelSha256)) return "ready";
            defer(warmRanker(ranker.modelBytes, ranker.modelSha256));
            return "warming";
          },
          score: (rows, n) => heavyRank(ranker.modelBytes, rows, n, ranker.modelSha256),
        };
        return model;
      },
    },
    timing,
  };
}

/** The table with every view taken of it reported to `onView`; everything else is the table's own. */
function reportingViews(table: ItemLookup, onView: (view: ItemLookup) => void): ItemLookup {
  return {
    count: table.count,
    categoryCount: table.categoryCount,
    view: () => {
      const view = table.view();
      onView(view);
      return view;
    },
    adopt: (pages) => table.adopt(pages),
    prepare: (itemIds, rows) => table.prepare(itemIds, rows),
    rowOf: (itemId) => table.rowOf(itemId),
    idAt: (row) => table.idAt(row),
    categoryMask: (row) => table.categoryMask(row),
    popularity: (row) => table.popularity(row),
    year: (row) => table.year(row),
    available: (row) => table.available(row),
  };
}
