import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type ItemLookup } from "../../shared/catalog/item-lookup";
import { SERVED_KNOBS } from "../../shared/funnel/knobs";
import { runFunnel } from "../../shared/funnel/run-funnel";
import { buildImpressionTable } from "../../shared/ranking/impression-table";
import { type RankedEntry } from "../../shared/ranking/ranked-list";
import { workerFunnelPorts } from "../../worker/src/funnel/worker-ports";
import { ServerTiming } from "../../worker/src/http/server-timing";
import { type LoadedIndex, loadCurrentIndex } from "../../worker/src/index-store/index-cache";
import { renderPage } from "../../worker/src/render/render-page";
import { PAGED_ITEMS } from "../fixtures/funnel-index";
import { countingKv, funnelCatalog, publishFunnelIndex } from "./funnel-fixture";

const titleOf = new Map(funnelCatalog().map((item) => [item.itemId, item.title]));

/** The version published as current, with the names of the blobs read through the KV it returns. */
async function pagedVersion(version: string): Promise<{ index: LoadedIndex; kv: KVNamespace; read: string[] }> {
  await publishFunnelIndex(version, () => {}, new Map(), PAGED_ITEMS);
  const index = await loadCurrentIndex(env.INDEX_KV);
  expect(index?.version).toBe(version);
  return { index: index!, ...countingKv(index!.manifest) };
}

/** A warm home list through the Worker's ports, with the item-table view the funnel took. */
async function funnelList(index: LoadedIndex, kv: KVNamespace) {
  let view: ItemLookup | null = null;
  const ports = workerFunnelPorts(
    { ...env, INDEX_KV: kv },
    index,
    new ServerTiming(),
    () => {},
    { trendingAsOfMs: null },
    (v) => (view = v),
  );
  const session = {
    history: ["ann-3", "ann-40", "ann-41", "ann-700"].map((itemId) => ({ itemId, weight: 1 })),
    seenItemIds: ["ann-3", "ann-40", "ann-41", "ann-700"],
    affinities: [],
    declaredCategories: [],
    impressions: buildImpressionTable([], 0),
  };
  const request = { surface: "home" as const, contextItemId: null, category: null, excludeIds: [], region: "us", listSize: 40, nowMs: Date.now() };
  const result = await runFunnel(ports, request, session, { ...SERVED_KNOBS, heavy: false, policy: { explorationRate: 0 } }, () => 1);
  expect(view).not.toBeNull();
  return { entries: result.entries.slice(0, 10), view: view! };
}

/** Renders the entries as the route renders a page, and checks they all have their catalog titles. */
async function renderTitles(index: LoadedIndex, kv: KVNamespace, entries: RankedEntry[], table: ItemLookup | null): Promise<void> {
  const req = { region: "us", contextItemId: null };
  const page = await renderPage({ ...env, INDEX_KV: kv }, index, entries, 1, req, { titles: {}, table }, new ServerTiming(), () => {});
  expect(page.degraded).toEqual([]);
  expect(page.items.map((i) => i.title)).toEqual(entries.map((e) => titleOf.get(e.itemId)));
}

describe("titles of a page over a paged item table (real KV)", () => {
  it("come from the funnel's own view: title pages only, no id page, and the catalog's titles", async () => {
    const { index, kv, read } = await pagedVersion("v-titles-view");
    const { entries, view } = await funnelList(index, kv);
    // Some shown item lies past the hot rows: a fresh view would read its id page to find its row.
    const hotRows = index.manifest.funnel!.itemPages!.hotRows;
    expect(entries.some((e) => view.rowOf(e.itemId) >= hotRows)).toBe(true);
    read.length = 0;
    await renderTitles(index, kv, entries, view);
    expect(read.some((name) => name.startsWith("titles-"))).toBe(true);
    expect(read.filter((name) => name.startsWith("item-ids-") || name.startsWith("item-rows-"))).toEqual([]);
  });

  it("come from id pages and title pages for a cached list's page (no funnel view), with the same titles", async () => {
    const made = await pagedVersion("v-titles-made");
    const { entries, view } = await funnelList(made.index, made.kv);
    expect(entries.some((e) => view.rowOf(e.itemId) >= made.index.manifest.funnel!.itemPages!.hotRows)).toBe(true);
    // The same index as a version of its own, so that no id page is cached yet: as an isolate that did not make the list.
    const { index, kv, read } = await pagedVersion("v-titles-cached");
    await renderTitles(index, kv, entries, null);
    expect(read.some((name) => name.startsWith("item-ids-"))).toBe(true);
  });
});
