import { describe, expect, inject, it } from "vitest";
import { eventDedupeKey, EVENT_STREAM_KEY, impressionCreditKey, impressionKey, trendingOnceKey } from "../../shared/online/redis-keys";
import { serverClient, sharedCredentials } from "./client";
import { click, poll, redisClient, streamCounts } from "./stream-helpers";

const server = serverClient(sharedCredentials());
const redis = redisClient(inject("redisUrl"), inject("redisToken"));

type Events = Parameters<typeof server.v1.events.$post>[0]["json"]["events"];
const post = async (events: Events) => (await (await server.v1.events.$post({ json: { events } })).json()) as { accepted: string[]; redis: string };
const byUserAndId = (fields: Record<string, string>) => {
  const e = JSON.parse(fields.event ?? "{}") as { userId: string; eventId: string };
  return `${e.userId}/${e.eventId}`;
};

/** User ids may hold ':'; Redis keys join ids with ':' — each user's keys must stay their own. */
describe("user ids with ':' in Redis keys", () => {
  it("delivers an event whose user and id, joined, spell another user's event", async () => {
    const user = `kc-${Date.now()}`;
    const nested = `${user}:x`;
    expect(await post([click(user, "x:e1", "193581")])).toMatchObject({ accepted: ["x:e1"], redis: "delivered" });
    expect(await post([click(nested, "e1", "193583")])).toMatchObject({ accepted: ["e1"], redis: "delivered" });

    const counts = await streamCounts(redis, EVENT_STREAM_KEY, byUserAndId);
    expect(counts.get(`${user}/x:e1`)).toBe(1);
    expect(counts.get(`${nested}/e1`)).toBe(1);
    for (const key of [eventDedupeKey(user, "x:e1"), eventDedupeKey(nested, "e1"), trendingOnceKey(user, "193581"), trendingOnceKey(nested, "193583")]) {
      expect(await redis.exists(key), key).toBe(1);
    }
  });

  it("erases a user without touching the keys of a user whose id starts with theirs and ':'", async () => {
    const user = `kd-${Date.now()}`;
    const nested = `${user}:y`;
    expect(await post([click(nested, "e9", "50")])).toMatchObject({ accepted: ["e9"], redis: "delivered" });
    const theirs = [eventDedupeKey(nested, "e9"), trendingOnceKey(nested, "50")];
    for (const key of theirs) expect(await redis.exists(key), key).toBe(1);

    const res = await server.v1.users[":id"].$delete({ param: { id: user } });
    expect(res.status).toBe(200);
    const { receipt } = (await res.json()) as { receipt: { stores: { store: string; removed?: Record<string, number> }[] } };
    expect(receipt.stores.find((s) => s.store === "redis")?.removed).toMatchObject({ userKeys: 0, eventStreamEntries: 0 });
    for (const key of theirs) expect(await redis.exists(key), key).toBe(1);
    expect((await streamCounts(redis, EVENT_STREAM_KEY, byUserAndId)).get(`${nested}/e9`)).toBe(1);
  });

  it("delivers an event whose impression id names a credit marker, as one naming no impression", async () => {
    const user = `ke-${Date.now()}`;
    const recs = (await (await server.v1.recommendations.$get({ query: { user_id: user, limit: "3" } })).json()) as {
      impressionId: string;
      items: { itemId: string }[];
    };
    const item = recs.items[0]!.itemId;
    await poll(
      () => redis.exists(impressionKey(recs.impressionId)),
      (n) => n === 1,
      10_000,
    );
    expect(await post([click(user, "c1", item, { impressionId: recs.impressionId })])).toMatchObject({ accepted: ["c1"], redis: "delivered" });
    expect(await redis.exists(impressionCreditKey(recs.impressionId, "click", item))).toBe(1);
    // The marker of that credit was `imp:<impression>:credited:click:<item>`: an impression id an event may send.
    const forged = `${recs.impressionId}:credited:click:${item}`;
    expect(await post([click(user, "c2", item, { impressionId: forged })])).toMatchObject({ accepted: ["c2"], redis: "delivered" });
    expect((await streamCounts(redis, EVENT_STREAM_KEY, byUserAndId)).get(`${user}/c2`)).toBe(1);
  });
});
