import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { adminCall, call, catalogRow as item, jsonInit, publishManifest, rawCall } from "./fixtures";

describe("catalog in D1", () => {
  it("upserts items through the admin API and serves them", async () => {
    const res = await adminCall("/admin/catalog/items", jsonInit("POST", { items: [item("c1"), item("c2", { year: null, blockedRegions: ["de", "fr"] })] }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ upserted: 2 });
    expect(await (await call("/v1/items/c1")).json()).toEqual({ ...item("c1"), blockedRegions: [] });
    expect(await (await call("/v1/items/c2")).json()).toEqual(item("c2", { year: null, blockedRegions: ["de", "fr"] }));

    await adminCall("/admin/catalog/items", jsonInit("POST", { items: [item("c1", { title: "Renamed", available: false })] }));
    expect(await (await call("/v1/items/c1")).json()).toMatchObject({ title: "Renamed", available: false });
  });

  it("keeps the version that published an item through later edits; a new item has none until published", async () => {
    const versionOf = async (id: string) =>
      (await env.DB.prepare("SELECT index_version AS v FROM items WHERE item_id = ?").bind(id).first<{ v: string | null }>())?.v;
    await publishManifest("v-items");
    await publishManifest("v-next");
    expect((await adminCall("/admin/catalog/items", jsonInit("POST", { items: [item("v1")], indexVersion: "v-items" }))).status).toBe(200);
    expect((await adminCall("/admin/catalog/items", jsonInit("POST", { items: [item("v1", { available: false }), item("v2")] }))).status).toBe(200);
    expect(await versionOf("v1")).toBe("v-items");
    expect(await versionOf("v2")).toBeNull();
    expect((await adminCall("/admin/catalog/items", jsonInit("POST", { items: [item("v1"), item("v2")], indexVersion: "v-next" }))).status).toBe(200);
    expect([await versionOf("v1"), await versionOf("v2")]).toEqual(["v-next", "v-next"]);
  });

  it("refuses a batch that names an item twice, naming it and both positions, and writes nothing", async () => {
    const res = await adminCall(
      "/admin/catalog/items",
      jsonInit("POST", { items: [item("r0"), item("r1", { title: "One" }), item("r2"), item("r1", { title: "Two" })] }),
    );
    expect({ status: res.status, body: await res.json() }).toMatchObject({
      status: 400,
      body: {
        error: {
          code: "invalid_item",
          message: 'items[3].itemId "r1" repeats items[1]: send each item once; nothing was written',
          index: 3,
          firstIndex: 1,
          itemId: "r1",
        },
      },
    });
    const row = await env.DB.prepare("SELECT count(*) AS n FROM items WHERE item_id IN ('r0','r1','r2')").first<{ n: number }>();
    expect(row?.n).toBe(0);
  });

  it("refuses a batch tied to an index version never published, and writes nothing", async () => {
    const res = await adminCall("/admin/catalog/items", jsonInit("POST", { items: [item("u1")], indexVersion: "nope" }));
    expect({ status: res.status, body: await res.json() }).toMatchObject({
      status: 400,
      body: {
        error: {
          code: "unknown_index_version",
          message:
            'index version "nope" is not published (no manifest): a publication sends its manifest before its catalog rows, and an operator\'s edit leaves indexVersion out; nothing was written',
          field: "indexVersion",
        },
      },
    });
    expect((await call("/v1/items/u1")).status).toBe(404);
  });

  it("writes nothing when any item of the request is invalid", async () => {
    for (const bad of [{ year: "1999" }, { blockedRegions: ["DE"] }, { colour: "red" }]) {
      const rejected = await adminCall("/admin/catalog/items", jsonInit("POST", { items: [item("d1"), item("d2", bad)] }));
      expect(rejected.status, JSON.stringify(bad)).toBe(400);
    }
    const res = await adminCall("/admin/catalog/items", jsonInit("POST", { items: [item("d1"), item("d2", { year: "1999" })] }));
    expect(res.status).toBe(400);
    const body = await res.json<{ error: { code: string; message: string; index: number } }>();
    expect(body.error).toMatchObject({ code: "invalid_item", index: 1 });
    expect(body.error.message).toContain("year");
    const row = await env.DB.prepare("SELECT count(*) AS n FROM items WHERE item_id IN ('d1','d2')").first<{ n: number }>();
    expect(row?.n).toBe(0);
  });

  it("answers unknown and malformed ids with 404 and 400", async () => {
    const missing = await call("/v1/items/nope");
    expect(missing.status).toBe(404);
    expect((await missing.json<{ error: { code: string } }>()).error.code).toBe("item_not_found");
    const bad = await call("/v1/items/a%20b");
    expect(bad.status).toBe(400);
  });
});

describe("cross-cutting HTTP behaviour", () => {
  it("reports bindings on /health", async () => {
    const body = await (await call("/health")).json<{ bindings: Record<string, { status: string }> }>();
    expect(body.bindings.kv!.status).toBe("ok");
    expect(body.bindings.d1!.status).toBe("ok");
    expect(body.bindings.durableObjects!.status).toBe("ok");
    expect(body.bindings.redis!.status).toBe("disabled");
    const live = await call("/health/live");
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "ok" });
  });

  it("answers CORS preflights for the publishable keys' origins only, never with *", async () => {
    const preflight = (path: string, origin: string) =>
      rawCall(path, { method: "OPTIONS", headers: { Origin: origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-api-key" } });
    const res = await preflight("/v1/recommendations", "https://shop.example");
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://shop.example");
    expect(res.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("x-api-key");
    expect(Number(res.headers.get("Access-Control-Max-Age"))).toBeGreaterThan(0);
    for (const origin of ["https://evil.example", "null"]) {
      expect((await preflight("/v1/recommendations", origin)).headers.get("Access-Control-Allow-Origin")).toBeNull();
    }
    // Admin routes answer no preflight at all: servers do not need CORS.
    const adminPreflight = await preflight("/admin/index/current", "https://shop.example");
    expect(adminPreflight.status).toBeGreaterThanOrEqual(400);
    expect(adminPreflight.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("uses the error envelope for unknown routes", async () => {
    const res = await call("/v2/nothing");
    expect(res.status).toBe(404);
    const body = await res.json<{ error: { code: string; requestId: string } }>();
    expect(body.error.code).toBe("not_found");
    expect(body.error.requestId).toBe(res.headers.get("X-Request-Id"));
  });
});
