import { Redis } from "@upstash/redis";
import { describe, expect, inject, it } from "vitest";
import { type RecommendedItem } from "../../shared/ranking/recommended-item";
import { type Answer, keylessClient, serverClient, serverFetch, sharedCredentials } from "./client";

const base = inject("baseUrl");
const api = serverFetch(sharedCredentials());
const server = serverClient(sharedCredentials());
const redis = new Redis({ url: inject("redisUrl"), token: inject("redisToken"), enableTelemetry: false });

interface RecsBody {
  indexVersion: string;
  sessionVersion: number;
  items: RecommendedItem[];
  degraded: string[];
}

async function getJson<T>(pending: Promise<Answer>): Promise<{ status: number; body: T }> {
  const res = await pending;
  return { status: res.status, body: (await res.json()) as T };
}

const recommendations = (user: string, limit: string) => server.v1.recommendations.$get({ query: { user_id: user, surface: "home", limit } });

/** Raw fetch: the malformed batch below is sent on purpose, which the typed client's types would refuse. */
function postRawEvents(events: unknown[]): Promise<Response> {
  return api(`${base}/v1/events`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ events }),
  });
}

describe("the slice end to end over HTTP (wrangler dev + redis-server)", () => {
  // The global setup built the demo index and published it over HTTP.
  const version = inject("indexVersion");

  it("reports the published version and every binding healthy", async () => {
    const { body } = await getJson<{ status: string; indexVersion: string; bindings: Record<string, { status: string }> }>(server.health.$get());
    expect(body.indexVersion).toBe(version);
    expect(body.status).toBe("ok");
    for (const name of ["kv", "d1", "durableObjects", "redis"]) expect(body.bindings[name]!.status, name).toBe("ok");
  });

  it("serves the catalog from D1", async () => {
    const { status, body } = await getJson<{ title: string; year: number; categories: string[] }>(server.v1.items[":id"].$get({ param: { id: "1" } }));
    expect(status).toBe(200);
    expect(body).toMatchObject({ title: "Toy Story", year: 1995 });
    expect(body.categories).toContain("Animation");
  });

  it("takes events, counts them in Redis, and excludes seen items from the next list", async () => {
    const user = `e2e-${Date.now()}`;
    const before = await getJson<RecsBody>(recommendations(user, "20"));
    expect(before.status).toBe(200);
    expect(before.body.items.length).toBe(20);
    const seen = before.body.items.slice(0, 3).map((i) => i.itemId);

    const timestamp = Date.now() - 1000;
    const res = await server.v1.events.$post({
      json: { events: seen.map((itemId, n) => ({ eventId: `${user}-${n}`, userId: user, itemId, type: "click" as const, timestamp })) },
    });
    expect(res.status).toBe(200);
    const posted = (await res.json()) as { accepted: string[]; redis: string };
    expect(posted.accepted).toHaveLength(3);
    expect(posted.redis).toBe("delivered");

    const hourKey = `trending:global:${Math.floor(timestamp / 3_600_000)}`;
    for (const itemId of seen) expect(await redis.zscore(hourKey, itemId)).toBeGreaterThanOrEqual(1);

    const after = await getJson<RecsBody>(recommendations(user, "20"));
    expect(after.body.sessionVersion).toBe(before.body.sessionVersion + 1);
    const ids = after.body.items.map((i) => i.itemId);
    expect(ids).toHaveLength(20);
    for (const itemId of seen) expect(ids).not.toContain(itemId);
  });

  it("rejects a malformed batch with 400 and changes nothing anywhere", async () => {
    const user = `e2e-bad-${Date.now()}`;
    const before = await getJson<RecsBody>(server.v1.recommendations.$get({ query: { user_id: user, limit: "10" } }));
    const target = before.body.items[0]!.itemId;
    const timestamp = Date.now() - 1000;
    const hourKey = `trending:global:${Math.floor(timestamp / 3_600_000)}`;
    const trendingBefore = await redis.zscore(hourKey, target);

    // Each event is judged alone; a batch with no valid event is refused whole and writes nothing.
    const res = await postRawEvents([
      { eventId: `${user}-bad`, userId: user, itemId: target, type: "rating", value: 11, timestamp },
      { eventId: `${user}-bad2`, userId: user, itemId: target, type: "click", timestamp, colour: "red" },
    ]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; index: number; field: string; requestId: string } };
    expect(body.error).toMatchObject({ code: "invalid_event_batch", index: 0, field: "value" });
    expect(body.error.requestId).toBeTruthy();

    const after = await getJson<RecsBody>(server.v1.recommendations.$get({ query: { user_id: user, limit: "10" } }));
    expect(after.body.sessionVersion).toBe(before.body.sessionVersion);
    expect(after.body.items.map((i) => i.itemId)).toEqual(before.body.items.map((i) => i.itemId));
    expect(await redis.zscore(hourKey, target)).toBe(trendingBefore);
  });

  it("keeps the admin API closed without the key", async () => {
    const res = await keylessClient().admin.index.current.$put({ json: { version } });
    expect(res.status).toBe(401);
  });
});
