import { describe, expect, it } from "vitest";
import document from "../../docs/openapi.json";
import { createApp } from "../../worker/src/app";
import { rawCall } from "./fixtures";

describe("OpenAPI document", () => {
  it("is served at /openapi.json without a key, as committed", async () => {
    const res = await rawCall("/openapi.json");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(document);
  });

  it("documents every route of the app, and no route the app does not have", () => {
    const routes = new Set(
      createApp()
        .routes.filter((r) => r.method !== "ALL")
        .map((r) => `${r.method} ${(r.path.replace(/\/$/, "") || "/").replace(/:([A-Za-z0-9]+)/g, "{$1}")}`),
    );
    const documented = new Set(Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)));
    expect([...routes].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !routes.has(r))).toEqual([]);
  });

  it("keeps the API reference page off unless API_REFERENCE is 1", async () => {
    const res = await rawCall("/docs");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  });
});
