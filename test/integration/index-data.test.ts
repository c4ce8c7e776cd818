import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ANN_BLOBS } from "../../shared/ann/ann-manifest";
import { PARITY, parityItemIds, parityVectors } from "../../shared/ann/testdata/parity-fixture";
import { WARM_LIGHT_WEIGHTS } from "../../shared/ranking/light-rank";
import { catalogOverlay, readCatalogOverlay } from "../../worker/src/catalog/catalog-overlay";
import { loadFunnelHead, vectorsOfRows } from "../../worker/src/index-store/funnel-store";
import { adminCall, call, jsonInit } from "./fixtures";
import { funnelCatalog, publishFunnelIndex, type Recs, recs, userWithHistory } from "./funnel-fixture";

/** Home list of a user, asked from Germany. */
const homeList = (user: string, extra = "") => recs(user, `&limit=20${extra}`, { cf: { country: "DE" } } as RequestInit);

const catalogRow = (itemId: string) => funnelCatalog().find((c) => c.itemId === itemId)!;

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
