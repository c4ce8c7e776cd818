import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { type RecommendedItem } from "../../shared/ranking/recommended-item";
import { readConfigSnapshot } from "../../worker/src/config/config-store";
import { forgetRecentLists, listCacheKey } from "../../worker/src/list-cache/list-cache";
import { adminCall, call, catalogRow, freshUser, jsonInit, pollUntil, postEvents, publishDemo, versionBlobKey } from "./fixtures";

interface RecsBody {
  indexVersion: string;
  sessionVersion: number;
  items: RecommendedItem[];
  degraded: string[];
}

const recs = (query: string) => call(`/v1/recommendations?${query}`);

/** Withdraws catalog rows a test added outside any index, so later tests' lists do not show them as fresh. */
async function withdraw(itemIds: string[]): Promise<void> {
  const items = itemIds.map((id) => catalogRow(id, { available: false }));
  expect((await adminCall("/admin/catalog/items", jsonInit("POST", { items }))).status).toBe(200);
}

function event(userId: string, itemId: string, n: number) {
  return { eventId: `${userId}-e${n}`, userId, itemId, type: "click", timestamp: Date.now() - 1000 };
}

describe("GET /v1/recommendations", () => {
  beforeAll(async () => {
    await publishDemo("v-recs");
    // Deterministic lists for these checks; exploration has its own tests.
    expect((await adminCall("/admin/config/policy", jsonInit("PUT", { default: { explorationRate: 0 } }))).status).toBe(200);
  });

  it("serves the popular list in order, with reasons and timing", async () => {
    const res = await recs(`user_id=${freshUser()}&limit=10`);
    expect(res.status).toBe(200);
    for (const stage of ["session", "index", "sources"]) {
      expect(res.headers.get("Server-Timing")).toMatch(new RegExp(`\\b${stage};dur=\\d`));
    }
    // Nothing was stored for a new user: the Cache API is not asked.
    expect(res.headers.get("Server-Timing")).not.toMatch(/\bcache;dur=/);
    // The index store's reads are counted (bench:serve reports them per miss).
    expect(res.headers.get("Server-Timing")).toMatch(/\bkv-reads;desc="\d+"/);
    const body = await res.json<RecsBody>();
    expect(body.indexVersion).toBe("v-recs");
    expect(body.items.map((i) => i.itemId)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    expect(body.items.map((i) => i.rank)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(body.items[0]).toMatchObject({ title: "Movie 0", sources: ["popular"], reasons: [{ code: "popular" }] });
    // An index of the popular list alone says so, and the list is still whole (cached).
    expect(body.degraded).toEqual(["index_popular_only"]);
  });

  it("excludes what the user interacted with, from the very next request", async () => {
    const user = freshUser();
    const first = await (await recs(`user_id=${user}&limit=5`)).json<RecsBody>();
    expect(first.items.map((i) => i.itemId)).toEqual(["m0", "m1", "m2", "m3", "m4"]);

    const posted = await postEvents([event(user, "m0", 1), event(user, "m2", 2)]);
    expect(posted.status).toBe(200);
    const after = await (await recs(`user_id=${user}&limit=5`)).json<RecsBody>();
    expect(after.sessionVersion).toBe(first.sessionVersion + 1);
    const ids = after.items.map((i) => i.itemId);
    expect(ids).not.toContain("m0");
    expect(ids).not.toContain("m2");
    // Two Drama clicks: the user's Drama affinity now leads the list (even items are Drama).
    expect(Number(ids[0]!.slice(1)) % 2).toBe(0);
    expect(after.items[0]!.reasons.map((r) => r.code)).toContain("matches_your_interests");
  });

  it("answers a repeated request from this isolate's copy, and never across a new event", async () => {
    const user = freshUser();
    expect((await recs(`user_id=${user}&limit=4`)).headers.get("X-Cache")).toBe("miss");
    // The store happens after the response (waitUntil); poll briefly for it.
    await pollUntil("the list held in this isolate", async () => (await recs(`user_id=${user}&limit=4`)).headers.get("X-Cache") === "hit");
    await postEvents([event(user, "m1", 1)]);
    const res = await recs(`user_id=${user}&limit=4`);
    expect(res.headers.get("X-Cache")).toBe("miss");
    expect((await res.json<RecsBody>()).items.map((i) => i.itemId)).not.toContain("m1");
  });

  it("finds a list another isolate stored in the Cache API, at the session version it was computed at", async () => {
    const user = freshUser();
    const first = await recs(`user_id=${user}&limit=4`);
    expect(first.headers.get("X-Cache")).toBe("miss");
    const firstBody = await first.json<RecsBody & { nextCursor: string }>();
    // As on another isolate: no list in memory, only what the Cache API and the session hold.
    const res = await pollUntil("the list stored in the Cache API", async () => {
      forgetRecentLists();
      const res = await recs(`user_id=${user}&limit=4`);
      return res.headers.get("X-Cache") === "hit" && res;
    });
    expect(res.headers.get("Server-Timing")).toMatch(/\bcache;dur=\d/);
    expect((await res.json<RecsBody>()).items).toEqual(firstBody.items);
    // The next page, on yet another isolate, comes from the same stored list.
    forgetRecentLists();
    const next = await recs(`user_id=${user}&limit=4&cursor=${encodeURIComponent(firstBody.nextCursor)}`);
    expect(next.headers.get("X-Cache")).toBe("hit");
    const nextIds = (await next.json<RecsBody>()).items.map((i) => i.itemId);
    expect(nextIds).toHaveLength(4);
    for (const id of nextIds) expect(firstBody.items.map((i) => i.itemId)).not.toContain(id);
    // After a new event the stored list is stale: computed again, never served.
    await postEvents([event(user, "m9", 1)]);
    forgetRecentLists();
    const after = await recs(`user_id=${user}&limit=4`);
    expect(after.headers.get("X-Cache")).toBe("miss");
    expect(after.headers.get("Server-Timing")).not.toMatch(/\bcache;dur=/);
  });

  it("computes the list again when the stored one cannot be read", async () => {
    const user = freshUser();
    const first = await recs(`user_id=${user}&limit=4`);
    expect(first.headers.get("X-Cache")).toBe("miss");
    const body = await first.json<RecsBody & { region: string; variant: string }>();
    const key = listCacheKey(
      { userId: user, surface: "home", contextItemId: null, category: null, excludeIds: [] },
      body.region,
      body.variant,
      body.indexVersion,
      (await readConfigSnapshot(env.INDEX_KV)).stamp,
    );
    const stored = await pollUntil("the list stored in the Cache API", () => caches.default.match(key));
    await stored.arrayBuffer();
    // Valid JSON at the right session version, but not a whole list.
    const broken = JSON.stringify({ format: 1, sessionVersion: body.sessionVersion, ids: ["x"] });
    await caches.default.put(key, new Response(broken, { headers: { "Cache-Control": "max-age=300" } }));
    forgetRecentLists();
    const again = await recs(`user_id=${user}&limit=4`);
    expect(again.status).toBe(200);
    expect(again.headers.get("X-Cache")).toBe("miss");
    expect((await again.json<RecsBody>()).items).toHaveLength(4);
  });

  it("serves a stored policy or editorial change from the next request, to a user whose list is cached too", async () => {
    const user = freshUser();
    const get = async () => {
      const res = await recs(`user_id=${user}&limit=10`);
      expect(res.status).toBe(200);
      return { cache: res.headers.get("X-Cache"), items: (await res.json<RecsBody>()).items };
    };
    const before = await get();
    expect((await get()).cache).toBe("hit");
    const pinned = before.items[3]!.itemId;
    const policy = { default: { explorationRate: 0, rules: [{ kind: "pin", itemId: pinned, position: 1 }] } };
    expect((await adminCall("/admin/config/policy", jsonInit("PUT", policy))).status).toBe(200);
    try {
      const after = await get();
      expect(after.cache).toBe("miss");
      expect(after.items[0]!.itemId).toBe(pinned);
      // The new list is cached in its turn; storing the same policy again keeps it.
      expect((await adminCall("/admin/config/policy", jsonInit("PUT", policy))).status).toBe(200);
      expect(await get()).toEqual({ ...after, cache: "hit" });
      // Editorial lists are read the same way, and key the cache the same way.
      expect((await adminCall("/admin/config/editorial", jsonInit("PUT", { home: { default: ["m42"] } }))).status).toBe(200);
      const edited = await get();
      expect(edited.cache).toBe("miss");
      expect(edited.items.find((i) => i.itemId === "m42")?.sources).toContain("editorial");
    } finally {
      await adminCall("/admin/config/policy", jsonInit("PUT", { default: { explorationRate: 0 } }));
      await adminCall("/admin/config/editorial", jsonInit("PUT", {}));
    }
  });

  it("scores and titles items whose ids Object.prototype also names (constructor, toString, __proto__), fresh and from the cached list", async () => {
    const ids = ["constructor", "toString", "__proto__"];
    expect((await adminCall("/admin/catalog/items", jsonInit("POST", { items: ids.map((id) => catalogRow(id)) }))).status).toBe(200);
    expect((await adminCall("/admin/config/editorial", jsonInit("PUT", { home: { default: ids } }))).status).toBe(200);
    try {
      const user = freshUser();
      for (const cache of ["miss", "hit"]) {
        const res = await recs(`user_id=${user}&limit=10`);
        expect(res.headers.get("X-Cache")).toBe(cache);
        const items = (await res.json<RecsBody>()).items;
        for (const id of ids) expect(items.find((i) => i.itemId === id)).toMatchObject({ title: `Title ${id}`, score: expect.any(Number) });
      }
    } finally {
      await adminCall("/admin/config/editorial", jsonInit("PUT", {}));
      await withdraw(ids);
    }
  });

  it("serves a user whose interests are categories Object.prototype also names, which the index does not list", async () => {
    const categories = ["constructor", "toString", "__proto__"];
    const items = categories.map((category) => catalogRow(`cat-${category}`, { categories: [category] }));
    expect((await adminCall("/admin/catalog/items", jsonInit("POST", { items }))).status).toBe(200);
    try {
      const user = freshUser();
      expect((await postEvents(items.map((item, n) => event(user, item.itemId, n)))).status).toBe(200);
      const res = await recs(`user_id=${user}&limit=10`);
      expect(res.status, await res.clone().text()).toBe(200);
      expect((await res.json<RecsBody>()).items).toHaveLength(10);
    } finally {
      await withdraw(items.map((item) => item.itemId));
    }
  });

  it("leaves out items shown as often as the frequency cap, by the counts the session keeps", async () => {
    const put = (policy: object) => adminCall("/admin/config/policy", jsonInit("PUT", policy));
    expect((await put({ default: { explorationRate: 0 }, up_next: { explorationRate: 0, frequencyCap: 2 } })).status).toBe(200);
    try {
      const user = freshUser();
      const stub = env.USER_SESSION.get(env.USER_SESSION.idFromName(user));
      const first = (await (await recs(`user_id=${user}&surface=up_next&item_id=m1&limit=4`)).json<RecsBody>()).items.map((i) => i.itemId);
      expect(first).toHaveLength(4);
      // The showing is counted after the response; then count two of them once more (twice in all).
      await pollUntil("the first list's showings counted", async () => {
        const counts = await stub.impressionCounts();
        return first.every((id) => counts[id] === 1);
      });
      await stub.recordImpressions(first.slice(0, 2));
      // Another list (an exclusion makes its own key), computed with those counts. Without them it
      // would be the first list again: nothing else changed and exploration is off.
      const next = (await (await recs(`user_id=${user}&surface=up_next&item_id=m1&limit=4&exclude=zz`)).json<RecsBody>()).items.map((i) => i.itemId);
      expect(next).toHaveLength(4);
      expect(next).not.toContain(first[0]);
      expect(next).not.toContain(first[1]);
    } finally {
      await put({ default: { explorationRate: 0 } });
    }
  });

  it("does not serve a cached list again once its items reach the frequency cap", async () => {
    const put = (policy: object) => adminCall("/admin/config/policy", jsonInit("PUT", policy));
    expect((await put({ default: { explorationRate: 0 }, up_next: { explorationRate: 0, frequencyCap: 2 } })).status).toBe(200);
    try {
      const user = freshUser();
      const stub = env.USER_SESSION.get(env.USER_SESSION.idFromName(user));
      const ask = () => recs(`user_id=${user}&surface=up_next&item_id=m1&limit=4`);
      const first = await ask();
      expect(first.headers.get("X-Cache")).toBe("miss");
      const shown = (await first.json<RecsBody>()).items.map((i) => i.itemId);
      await pollUntil("the first showing counted", async () => Object.keys(await stub.impressionCounts()).length === shown.length);
      // The second showing of the same cached list brings its items to the cap of 2.
      const second = await ask();
      expect(second.headers.get("X-Cache")).toBe("hit");
      await pollUntil("the second showing counted", async () => Object.values(await stub.impressionCounts()).every((n) => n === 2));
      // The third request is made again, without the capped items: not the cached list a third time.
      const third = await ask();
      expect(third.headers.get("X-Cache")).toBe("miss");
      const again = (await third.json<RecsBody>()).items.map((i) => i.itemId);
      for (const id of shown) expect(again).not.toContain(id);
    } finally {
      await put({ default: { explorationRate: 0 } });
    }
  });

  it("restricts to a category's popular list", async () => {
    const body = await (await recs(`user_id=${freshUser()}&limit=3&category=Comedy`)).json<RecsBody>();
    expect(body.items.map((i) => i.itemId)).toEqual(["m1", "m3", "m5"]);
    expect(body.items[0]!.reasons[0]!.code).toBe("popular");
  });

  it("rejects bad parameters with 400 and a specific code", async () => {
    for (const query of ["limit=5", "user_id=bad%20id", `user_id=u1&limit=0`, `user_id=u1&limit=101`, `user_id=u1&limit=abc`, `user_id=u1&surface=nope`]) {
      const res = await recs(query);
      expect(res.status, query).toBe(400);
      const body = await res.json<{ error: { code: string; message: string; requestId: string } }>();
      expect(body.error.code).toBe("invalid_request");
      expect(body.error.message.length).toBeGreaterThan(10);
      expect(res.headers.get("X-Request-Id")).toBe(body.error.requestId);
    }
  });

  it("falls back to the manifest's list when the popular blob is corrupt, and says so", async () => {
    await publishDemo("v-corrupt");
    await env.INDEX_KV.put(await versionBlobKey("v-corrupt", "popular"), "not the published bytes");
    const res = await recs(`user_id=${freshUser()}&limit=3`);
    expect(res.status).toBe(200);
    const body = await res.json<RecsBody>();
    expect(body.degraded).toEqual(["index_popular_only", "popular_blob_checksum_mismatch", "popular_fallback_list"]);
    expect(body.items.map((i) => i.itemId)).toEqual(["m0", "m1", "m2"]);
    // Monitors (and the pipeline's canary) hear of it from /health, though lists still answer.
    type Health = { status: string; index?: { status: string; version: string; degraded?: string[] } };
    const health = await (await call("/health")).json<Health>();
    expect(health).toMatchObject({ status: "degraded", index: { status: "error", version: "v-corrupt", degraded: ["popular_blob_checksum_mismatch"] } });
    await publishDemo("v-recs");
    expect(await (await call("/health")).json<Health>()).toMatchObject({ status: "ok", index: { status: "ok", version: "v-recs" } });
  });
});
