import { describe, expect, it } from "vitest";
import document from "../../docs/openapi.json";
import { ID_PATTERN } from "../../shared/ids";
import { createApp } from "../../worker/src/app";
import { adminCall, browserCall, jsonInit, rawCall } from "./fixtures";

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

  it("lists the statuses the routes answer: a renewal's 200 beside a new anonymous id's 201, a taken experiment id's 409", async () => {
    const documented = (path: string, method: string) =>
      Object.keys((document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)[path]![method]!.responses);
    const issued = await browserCall("/v1/anonymous", { method: "POST" });
    expect(issued.status).toBe(201);
    const renewed = await browserCall("/v1/anonymous", { method: "POST" }, (await issued.json<{ token: string }>()).token);
    expect(renewed.status).toBe(200);
    expect(documented("/v1/anonymous", "post")).toEqual(expect.arrayContaining(["200", "201"]));

    const definition = { id: "openapi-taken", control: "a", variants: { a: {}, b: {} }, allocation: { default: { a: 50, b: 50 } } };
    expect((await adminCall("/admin/experiments", jsonInit("POST", definition))).status).toBe(201);
    expect((await adminCall("/admin/experiments", jsonInit("POST", definition))).status).toBe(409);
    expect(documented("/admin/experiments", "post")).toContain("409");
  });

  it("states the body rules the schemas check: no field besides anonymousToken in a merge, the configuration's surfaces, integer knobs and item ids", () => {
    type Json = Record<string, unknown> & { properties: Record<string, Json>; additionalProperties: Json & false; items: Json & { oneOf: Json[] } };
    const body = (path: string, method: string) =>
      (document.paths as unknown as Record<string, Record<string, { requestBody: { content: { "application/json": { schema: Json } } } }>>)[path]![method]!
        .requestBody.content["application/json"].schema;
    // A merge body with another field is refused by the schema itself: the document says so.
    expect(body("/v1/users/{id}/merge", "post")).toMatchObject({ type: "object", required: ["anonymousToken"], additionalProperties: false });
    const editorial = body("/admin/config/editorial", "put");
    expect(Object.keys(editorial.properties)).toEqual(["home", "up_next", "related"]);
    expect(editorial.additionalProperties).toBe(false);
    const policy = body("/admin/config/policy", "put");
    expect(policy.propertyNames).toEqual({ type: "string", pattern: "^(default|home|up_next|related)$" });
    const knobs = policy.additionalProperties.properties;
    expect(knobs.maxPerCategory).toEqual({ type: "integer", minimum: 0, maximum: 100 });
    expect(knobs.frequencyCap).toEqual({ type: "integer", minimum: 0, maximum: 1000 });
    expect(knobs.explorationFrom).toEqual({ type: "integer", minimum: 1, maximum: 100 });
    const [pin, boost] = knobs.rules!.items.oneOf;
    expect(pin!.properties.itemId).toEqual({ type: "string", pattern: ID_PATTERN.source });
    expect(boost!.properties.match!.properties.itemId).toEqual({ type: "string", pattern: ID_PATTERN.source });
  });

  it("keeps the API reference page off unless API_REFERENCE is 1", async () => {
    const res = await rawCall("/docs");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  });
});
