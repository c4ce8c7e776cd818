import { type CatalogFacts, shownIn } from "../../../shared/catalog/catalog-item";
import { loadCurrentIndex } from "../index-store/index-cache";
import { catalogOverlay, OVERLAY_FRESH_ROWS } from "./catalog-overlay";
import { catalogFacts } from "./d1-catalog";

/**
 * Lists that do not pass through the funnel (trending from Redis counters)
 * keep only what the catalogue lets the caller's region see: the overlay
 * names every withdrawn or region-blocked item; when it outgrew its limit,
 * D1 is asked for the listed ids. Fails closed: with no catalogue word at
 * all, nothing is vouched for and the list is empty, with the reason.
 */
export async function servableOnly<T extends { itemId: string }>(
  env: Env,
  items: readonly T[],
  region: string,
  defer: (work: Promise<unknown>) => void,
): Promise<{ items: T[]; degraded: string[] }> {
  try {
    const index = await loadCurrentIndex(env.INDEX_KV);
    const overlay = await catalogOverlay(env.DB, index?.version ?? "none", index?.publishedAtMs ?? 0, OVERLAY_FRESH_ROWS, defer);
    let rows: ReadonlyMap<string, CatalogFacts> = overlay.rows;
    if (!overlay.complete)
      rows = new Map([
        ...overlay.rows,
        ...(await catalogFacts(
          env.DB,
          items.map((i) => i.itemId),
        )),
      ]);
    const shown = items.filter((i) => {
      const row = rows.get(i.itemId);
      return row === undefined || shownIn(row, region);
    });
    return { items: shown, degraded: overlay.stale ? ["catalog_overlay_stale"] : [] };
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", message: "catalogue unreadable for a list", error: String(err) }));
    return { items: [], degraded: ["catalog_unavailable"] };
  }
}
