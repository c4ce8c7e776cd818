import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ANN_BLOBS } from "../../shared/ann/ann-manifest";
import { PARITY, parityItemIds, parityVectors } from "../../shared/ann/testdata/parity-fixture";
import { WARM_LIGHT_WEIGHTS } from "../../shared/ranking/light-rank";
import { catalogOverlay, readCatalogOverlay } from "../../worker/src/catalog/catalog-overlay";
import { loadFunnelHead, vectorsOfRows } from "../../worker/src/index-store/funnel-store";
import { adminCall, call, jsonInit } from "./fixtures";
import { decodeTitlePage, TITLE_PATCH_BLOB } from "../../shared/catalog/title-page";
import { titlePageName } from "../../shared/index-format/funnel-section";
import { type IndexManifest } from "../../shared/index-format/manifest";
import { blobKey } from "../../shared/index-format/keys";
import { titleBlobs } from "../../index-builder/src/build/title-blobs";
import { funnelCatalog, publishFunnelIndex, type Recs, recs, userWithHistory } from "./funnel-fixture";

/** Home list of a user, asked from Germany. */
const homeList = (user: string, extra = "") => recs(user, `&limit=20${extra}`, { cf: { country: "DE" } } as RequestInit);

const catalogRow = (itemId: string) => funnelCatalog().find((c) => c.itemId === itemId)!;

/** A published blob's bytes, straight from KV. */
const blobBytes = async (manifest: IndexManifest, name: string) =>
  new Uint8Array((await env.INDEX_KV.get(blobKey(manifest.blobs[name]!.sha256), "arrayBuffer"))!);

describe("serving from the index: its titles, its light weights, and the catalog overlay of what changed since", () => {
  beforeAll(async () => {
    expect((await adminCall("/admin/config/policy", jsonInit("PUT", { default: { explorationRate: 0, mmrLambda: 1 } }))).status).toBe(200);
  });

  it("takes titles from the index's pages, not from per-request catalog reads", async () => {
    await publishFunnelIndex("v-overlay-titles");
    const user = await userWithHistory();
    // Rows deleted behind the admin API's back: an index-held item still shows, titled from the index.
    await env.DB.prepare("DELETE FROM items WHERE item_id LIKE 'ann-%'").run();
    const body = await homeList(user);
    expect(body.degraded).toEqual([]);
    expect(body.items.length).toBe(20);
    for (const item of body.items) expect(item.title).toBe(catalogRow(item.itemId).title);
  });

  it("reads the titles a version's patch changed over the title pages it shares with the version before", async () => {
    const first = await publishFunnelIndex("v-titles-base");
    const user = await userWithHistory();
    await env.DB.prepare("DELETE FROM items WHERE item_id LIKE 'ann-%'").run();
    const before = await homeList(user);
    // The titles in row order as the pages hold them; the shown items get new titles, as a build on top of v-titles-base writes them.
    const pages = await Promise.all(Array.from({ length: first.funnel!.titlePages! }, (_, p) => blobBytes(first, titlePageName(p))));
    const titles = pages.flatMap((bytes) => {
      const page = decodeTitlePage(bytes);
      return Array.from({ length: page.count }, (_, k) => page.title(k));
    });
    const shown = new Set(before.items.map((i) => catalogRow(i.itemId).title));
    const retitled = titles.map((t) => (shown.has(t) ? `${t} (restored)` : t));
    const built = titleBlobs(retitled, first.funnel!.titlePageSize!, { pageSize: first.funnel!.titlePageSize!, page: (p) => pages[p] ?? null });
    expect(built.pages.every((bytes, p) => bytes === pages[p])).toBe(true);
    expect(built.patchRows).toBe(shown.size);
    const second = await publishFunnelIndex(
      "v-titles-patched",
      () => {},
      new Map([[TITLE_PATCH_BLOB, { bytes: built.patch!, contentType: "application/octet-stream" }]]),
    );
    for (let p = 0; p < pages.length; p++) expect(second.blobs[titlePageName(p)]).toEqual(first.blobs[titlePageName(p)]);
    await env.DB.prepare("DELETE FROM items WHERE item_id LIKE 'ann-%'").run();
    const after = await homeList(user, "&exclude=not-listed");
    expect(after.degraded).toEqual([]);
    // (Items shown before may rank lower now; most are still listed.)
    const again = after.items.filter((i) => shown.has(catalogRow(i.itemId).title));
    expect(again.length).toBeGreaterThan(5);
    for (const item of after.items) {
      const title = catalogRow(item.itemId).title;
      expect(item.title).toBe(shown.has(title) ? `${title} (restored)` : title);
    }
  });

  it("applies catalog changes made after publication: titles, availability, region blocks", async () => {
    await publishFunnelIndex("v-overlay-changes");
    const user = await userWithHistory();
    const before = await homeList(user);
    const [renamed, withdrawn, blocked, elsewhere] = before.items.map((i) => i.itemId);
    const writes = [
      { ...catalogRow(renamed!), title: "A New Title" },
      { ...catalogRow(withdrawn!), available: false },
      { ...catalogRow(blocked!), blockedRegions: ["de"] },
      { ...catalogRow(elsewhere!), blockedRegions: ["fr"] },
    ];
    expect((await adminCall("/admin/catalog/items", jsonInit("POST", { items: writes }))).status).toBe(200);
    // Another cache key (an exclusion of an item not listed), so the list is computed again.
    const after = await homeList(user, "&exclude=not-listed");
    const ids = after.items.map((i) => i.itemId);
    expect(ids).not.toContain(withdrawn);
    expect(ids).not.toContain(blocked);
    expect(ids).toContain(elsewhere);
    expect(after.items.find((i) => i.itemId === renamed)?.title).toBe("A New Title");
  });

  it("ranks with the light weights the index ships", async () => {
    // Weights that ignore the user vector and follow co-visitation alone: the list changes to co-visited items.
    await publishFunnelIndex(
      "v-weights-ann",
      (m) => void (m.ranking = { light: { ...WARM_LIGHT_WEIGHTS, source: { ...WARM_LIGHT_WEIGHTS.source, ann: 1, covisit: 0 } } }),
    );
    const user = await userWithHistory();
    const byAnn = await homeList(user);
    await publishFunnelIndex(
      "v-weights-covisit",
      (m) => void (m.ranking = { light: { ...WARM_LIGHT_WEIGHTS, source: { ...WARM_LIGHT_WEIGHTS.source, ann: 0, covisit: 5 } } }),
    );
    const byCovisit = await homeList(user);
    const top = (r: Recs) => r.items.slice(0, 5).map((i) => i.sources.includes("covisit"));
    expect(top(byCovisit).every(Boolean)).toBe(true);
    expect(top(byAnn).every(Boolean)).toBe(false);
  });

  it("names ANN results by item-table rows: no ann-items blob, /similar close to brute force", async () => {
    const manifest = await publishFunnelIndex("v-rows");
    expect(manifest.ann!.idSpace).toBe("item-table");
    expect(manifest.blobs[ANN_BLOBS.items]).toBeUndefined();
    const ids = parityItemIds();
    const vectors = parityVectors();
    const dims = PARITY.params.dims;
    for (const itemId of ["ann-41", "ann-777", "ann-1203"]) {
      const res = await call(`/v1/items/${itemId}/similar?limit=20`);
      expect(res.status, await res.clone().text()).toBe(200);
      const body = await res.json<{ items: { itemId: string }[]; degraded: string[] }>();
      expect(body.degraded).toEqual([]);
      const self = ids.indexOf(itemId);
      const dot = (j: number) => {
        let sum = 0;
        for (let d = 0; d < dims; d++) sum += vectors[self * dims + d]! * vectors[j * dims + d]!;
        return sum;
      };
      const exact = ids
        .map((id, j) => ({ id, score: dot(j) }))
        .filter((x) => x.id !== itemId)
        .sort((a, b) => b.score - a.score)
        .slice(0, 20)
        .map((x) => x.id);
      const got = body.items.map((i) => i.itemId);
      expect(got).not.toContain(itemId);
      expect(got.filter((id) => exact.includes(id)).length).toBeGreaterThanOrEqual(16);
    }
    expect((await call("/v1/items/not-an-item/similar")).status).toBe(404);
  });

  it("shares one KV read among concurrent requests for a page not cached yet", async () => {
    const manifest = await publishFunnelIndex("v-inflight");
    const head = await loadFunnelHead(env.INDEX_KV, manifest);
    if ("degraded" in head) throw new Error(head.degraded);
    let gets = 0;
    const counting = { get: (...args: Parameters<KVNamespace["get"]>) => (gets++, env.INDEX_KV.get(...args)) } as unknown as KVNamespace;
    const rows = [0, 1, head.section.vectorPageSize + 3];
    const reads = await Promise.all([
      vectorsOfRows(counting, manifest, head, rows),
      vectorsOfRows(counting, manifest, head, rows),
      vectorsOfRows(counting, manifest, head, rows.slice(0, 1)),
    ]);
    expect(gets).toBe(2);
    for (const read of reads) expect(read.degraded).toEqual([]);
    expect(reads[0].vectors.get(rows[2]!)).toEqual(reads[1].vectors.get(rows[2]!));
    await vectorsOfRows(counting, manifest, head, rows);
    expect(gets).toBe(2);
  });

  it("reads fresh, changed and restricted rows, and says when a part outgrew its limit", async () => {
    const t0 = Date.now();
    const put = (itemId: string, fields: Record<string, unknown>, updatedAt: number, indexVersion: string | null) =>
      env.DB.prepare(
        "INSERT OR REPLACE INTO items (item_id, title, categories, year, tags, available, blocked_regions, index_version, updated_at) VALUES (?, ?, '[]', NULL, '[]', ?, ?, ?, ?)",
      )
        .bind(itemId, `T ${itemId}`, fields.available === false ? 0 : 1, JSON.stringify(fields.blockedRegions ?? []), indexVersion, updatedAt)
        .run();
    await put("ov-old-plain", {}, t0 - 5000, "v1");
    await put("ov-old-blocked", { blockedRegions: ["us"] }, t0 - 5000, "v1");
    await put("ov-old-gone", { available: false }, t0 - 5000, "v1");
    await put("ov-changed", {}, t0 + 10, "v1");
    await put("ov-new", {}, t0 + 20, null);
    const overlay = await readCatalogOverlay(env.DB, t0, 10, t0);
    expect(overlay.complete).toBe(true);
    expect(overlay.fresh.map((f) => f.itemId)[0]).toBe("ov-new");
    const ids = [...overlay.rows.keys()];
    expect(ids).toEqual(expect.arrayContaining(["ov-old-blocked", "ov-old-gone", "ov-changed", "ov-new"]));
    expect(ids).not.toContain("ov-old-plain");
    expect(overlay.rows.get("ov-old-blocked")?.blockedRegions).toEqual(["us"]);
    expect((await readCatalogOverlay(env.DB, t0, 10, t0, 1)).complete).toBe(false);
  });

  it("is read once per isolate for a while, then refreshed in the background", async () => {
    const t0 = Date.now();
    const deferred: Promise<unknown>[] = [];
    const defer = (p: Promise<unknown>) => void deferred.push(p);
    const first = await catalogOverlay(env.DB, "v-memo", t0, 10, defer, t0);
    await env.DB.prepare(
      "INSERT OR REPLACE INTO items (item_id, title, categories, year, tags, available, blocked_regions, index_version, updated_at) VALUES ('ov-late', 'Late', '[]', NULL, '[]', 1, '[]', NULL, ?)",
    )
      .bind(t0 + 1)
      .run();
    // Within the fresh period: the same read, no query.
    expect(await catalogOverlay(env.DB, "v-memo", t0, 10, defer, t0 + 5_000)).toBe(first);
    expect(deferred).toHaveLength(0);
    // Past it: the stale overlay now, a refresh in the background.
    expect(await catalogOverlay(env.DB, "v-memo", t0, 10, defer, t0 + 20_000)).toBe(first);
    expect(deferred).toHaveLength(1);
    await Promise.all(deferred);
    const refreshed = await catalogOverlay(env.DB, "v-memo", t0, 10, defer, t0 + 21_000);
    expect(refreshed.rows.has("ov-late")).toBe(true);
    // Too old to serve: the request waits for a new read.
    const waited = await catalogOverlay(env.DB, "v-memo", t0, 10, defer, t0 + 200_000);
    expect(waited).not.toBe(refreshed);
  });
});
