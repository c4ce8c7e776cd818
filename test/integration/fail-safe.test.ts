import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../worker/src/index";
import { forgetCurrentPointer, forgetLastGoodIndex } from "../../worker/src/index-store/index-cache";
import { ADMIN_KEY, adminCall, BASE, failing, freshUser, jsonInit } from "./fixtures";
import { funnelCatalog, publishFunnelIndex, type Recs, recs, userWithHistory } from "./funnel-fixture";

/** A GET as the customer's server makes it (secret key). */
function asServer(path: string): Request<unknown, IncomingRequestCfProperties> {
  return new Request<unknown, IncomingRequestCfProperties>(`${BASE}${path}`, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
}

/** GET through the Worker with some bindings replaced. */
async function getWith(path: string, bindings: Partial<Env>): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(asServer(path), { ...env, ...bindings } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** A request through the Worker, as the customer's server sends it, with some bindings replaced. */
async function callWith(method: string, path: string, bindings: Partial<Env>, body?: unknown): Promise<Response> {
  const ctx = createExecutionContext();
  const headers: Record<string, string> = { Authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) };
  const request = new Request<unknown, IncomingRequestCfProperties>(`${BASE}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const res = await worker.fetch(request, { ...env, ...bindings } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** The sessions' namespace, whose every object fails each call, as a Durable Object with broken storage does. */
function failingSessions(ns: Env["USER_SESSION"]): Env["USER_SESSION"] {
  const broken = new Proxy({}, { get: (_, p) => (p === "then" ? undefined : () => Promise.reject(new Error("injected session failure"))) });
  return new Proxy(ns, {
    get(t, p) {
      if (p === "get") return () => broken;
      const v = Reflect.get(t, p) as unknown;
      return typeof v === "function" ? (v as (...args: unknown[]) => unknown).bind(t) : v;
    },
  });
}

describe("a store a route depends on fails: 503 dependency_unavailable naming it, never a 500", () => {
  it("D1, a user's session, Redis", async () => {
    const db = { DB: failing(env.DB, ["prepare", "batch", "exec"]) };
    const sessions = { USER_SESSION: failingSessions(env.USER_SESSION) };
    // A closed port: every Redis request fails at once.
    const redis = { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9", UPSTASH_REDIS_REST_TOKEN: "t" };
    const user = freshUser();
    for (const [method, path, bindings, body, store] of [
      ["GET", "/v1/items/m1", db, undefined, "the catalog (D1)"],
      ["GET", "/admin/erasures", db, undefined, "the receipts store (D1)"],
      ["PUT", `/v1/users/${user}`, sessions, { categories: ["Drama"] }, "the user's session"],
      ["DELETE", `/v1/users/${user}`, sessions, undefined, "the user's session"],
      ["GET", `/admin/users/${user}/events`, sessions, undefined, "the user's session"],
      ["GET", `/admin/histories/${user}`, sessions, undefined, "the user's session"],
      ["GET", "/admin/metrics", redis, undefined, "Redis"],
    ] as const) {
      const res = await callWith(method, path, bindings as Partial<Env>, body);
      const text = await res.text();
      expect(res.status, `${method} ${path}: ${text}`).toBe(503);
      expect(JSON.parse(text)).toMatchObject({ error: { code: "dependency_unavailable", retryAfterS: 5 } });
      expect((JSON.parse(text) as { error: { message: string } }).error.message, path).toContain(store);
      expect(res.headers.get("Retry-After")).toBe("5");
    }
  });
});

describe("fail safe: every dependency failure is a 200 naming the stage, and safety fails closed", () => {
  beforeAll(async () => {
    expect((await adminCall("/admin/config/policy", jsonInit("PUT", { default: { explorationRate: 0 } }))).status).toBe(200);
    await publishFunnelIndex("v-fail-safe");
  });

  it("answers from the last good version when KV errors, and 503 (never 500) when it holds none", async () => {
    const user = await userWithHistory();
    expect((await recs(user)).degraded).toEqual([]);
    forgetCurrentPointer();
    const kv = failing(env.INDEX_KV, ["get", "getWithMetadata"]);
    const res = await getWith(`/v1/recommendations?user_id=${user}&limit=5&category=Drama`, { INDEX_KV: kv });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = await res.json<Recs & { indexVersion: string }>();
    expect(body.indexVersion).toBe("v-fail-safe");
    expect(body.degraded).toContain("index_store_error");
    expect(body.items.length).toBeGreaterThan(0);

    forgetCurrentPointer();
    forgetLastGoodIndex();
    const cold = await getWith(`/v1/recommendations?user_id=${user}&limit=5`, { INDEX_KV: kv });
    expect(cold.status).toBe(503);
    expect((await cold.json<{ error: { code: string } }>()).error.code).toBe("dependency_unavailable");
    forgetCurrentPointer();
    expect((await recs(user)).degraded).toEqual([]);
  });

  it("hides an item nobody can vouch for when D1 cannot be read (a pin of an unknown id), and names the stage", async () => {
    const policy = { default: { explorationRate: 0, rules: [{ kind: "pin", itemId: "ghost-1", position: 1 }] } };
    expect((await adminCall("/admin/config/policy", jsonInit("PUT", policy))).status).toBe(200);
    try {
      const res = await getWith(`/v1/recommendations?user_id=${freshUser()}&limit=5`, { DB: failing(env.DB, ["prepare", "batch", "exec"]) });
      expect(res.status, await res.clone().text()).toBe(200);
      const body = await res.json<Recs>();
      expect(body.items.map((i) => i.itemId)).not.toContain("ghost-1");
      expect(body.degraded).toContain("availability_error");
      // With D1 up, the catalog does not know the id either: shown, untitled, as before.
      expect((await recs(freshUser(), "&limit=5")).items[0]!.itemId).toBe("ghost-1");
    } finally {
      expect((await adminCall("/admin/config/policy", jsonInit("PUT", { default: { explorationRate: 0 } }))).status).toBe(200);
    }
  });

  it("takes a withdrawn item out of a list already cached, on the very next page served", async () => {
    const user = await userWithHistory();
    const first = await recs(user, "&limit=10");
    const withdrawn = first.items[2]!.itemId;
    const again = await recs(user, "&limit=10");
    expect(again.items.map((i) => i.itemId)).toEqual(first.items.map((i) => i.itemId));
    const row = funnelCatalog().find((c) => c.itemId === withdrawn)!;
    expect((await adminCall("/admin/catalog/items", jsonInit("POST", { items: [{ ...row, available: false }] }))).status).toBe(200);
    const res = await worker.fetch(asServer(`/v1/recommendations?user_id=${user}&limit=10`), env, createExecutionContext());
    expect(res.headers.get("X-Cache")).toBe("hit");
    const after = await res.json<Recs>();
    expect(after.items.map((i) => i.itemId)).not.toContain(withdrawn);
    expect(after.items).toHaveLength(10);
    expect(after.items.map((i) => i.itemId).slice(0, 2)).toEqual(first.items.map((i) => i.itemId).slice(0, 2));
  });

  it("refuses a malformed policy rule with a 400 and stores nothing", async () => {
    for (const rules of [[null], ["pin"], [{ kind: "pin" }], [{ kind: "boost", match: { genre: "x" }, by: 1 }]]) {
      const res = await adminCall("/admin/config/policy", jsonInit("PUT", { default: { rules } }));
      expect(res.status, JSON.stringify(rules)).toBe(400);
      expect((await res.json<{ error: { code: string } }>()).error.code).toBe("invalid_request");
    }
    const user = freshUser();
    expect((await recs(user, "&limit=3")).items).toHaveLength(3);
  });
});
