import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { impressionCount } from "../../shared/ranking/impression-table";
import { type OutboxEvent } from "../../worker/src/redis/event-forwarder";
import { drainOutbox, enqueue, outboxSize } from "../../worker/src/session/outbox";
import { call, freshUser, jsonInit, pollUntil, postEvents, publishDemo } from "./fixtures";

const stubOf = (userId: string) => env.USER_SESSION.get(env.USER_SESSION.idFromName(userId));
const at = () => Date.now() - 1000;

/** The counts a snapshot carries, checked against the object's exact ones, which are returned. */
async function shownCounts(userId: string): Promise<Record<string, number>> {
  const [snapshot, counts] = await Promise.all([stubOf(userId).snapshot(), stubOf(userId).impressionCounts()]);
  expect(snapshot.impressions.length).toBe(Object.keys(counts).length);
  for (const [itemId, n] of Object.entries(counts)) expect(impressionCount(snapshot.impressions, itemId), itemId).toBe(n);
  return counts;
}

describe("the user's Durable Object session", () => {
  beforeAll(async () => {
    // The catalog gives the events' items their categories (even m* = Drama, odd = Comedy).
    await publishDemo("v-sessions");
  });

  it("learns category affinities from events, with rejections pulling down", async () => {
    const user = freshUser();
    await postEvents([
      { eventId: `${user}-1`, userId: user, itemId: "m0", type: "purchase", timestamp: at() },
      { eventId: `${user}-2`, userId: user, itemId: "m2", type: "like", timestamp: at() },
      { eventId: `${user}-3`, userId: user, itemId: "m1", type: "dislike", timestamp: at() },
    ]);
    const snapshot = await stubOf(user).snapshot();
    expect(snapshot.affinities.map((a) => a.category)).toEqual(["Drama", "Comedy"]);
    // eventWeight: purchase 8 + like 4 for Drama; dislike -4 for Comedy.
    expect(snapshot.affinities[0]!.score).toBeCloseTo(12, 3);
    expect(snapshot.affinities[1]!.score).toBeCloseTo(-4, 3);
    expect(snapshot.recentItemIds).toEqual(["m1", "m2", "m0"]);
    expect(snapshot.recentEvents.map((e) => [e.itemId, e.type])).toEqual([
      ["m1", "dislike"],
      ["m2", "like"],
      ["m0", "purchase"],
    ]);
  });

  it("counts impressions of what it was shown", async () => {
    const user = freshUser();
    const body = await (await call(`/v1/recommendations?user_id=${user}&limit=3`)).json<{ impressionId: string; variant: string }>();
    expect(body.impressionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.variant).toBe("default");
    // The impressions are recorded after the response: wait for them, then compare the snapshot with the counts
    // (read together while the recording may still land between the two reads, they could disagree).
    await pollUntil("the impressions counted", async () => Object.keys(await stubOf(user).impressionCounts()).length > 0);
    expect(await shownCounts(user)).toEqual({ m0: 1, m1: 1, m2: 1 });
  });

  it("names the items shown since a paging session started, and only when asked", async () => {
    const user = freshUser();
    const stub = stubOf(user);
    const sleep = () => new Promise((r) => setTimeout(r, 20));
    await stub.recordImpressions(["a", "b"]);
    await sleep();
    const startedMs = Date.now();
    await sleep();
    await stub.recordImpressions(["c", "a"]);
    expect((await stub.snapshot(startedMs)).shownSince.sort()).toEqual(["a", "c"]);
    expect((await stub.snapshot()).shownSince).toEqual([]);
    expect(await shownCounts(user)).toEqual({ a: 2, b: 1, c: 1 });
  });

  it("remembers the lists stored in the Cache API, newest 64, with their versions; erasure forgets them", async () => {
    const user = freshUser();
    const stub = stubOf(user);
    await stub.recordImpressions(["m1"], { key: "list-a", sessionVersion: 0 });
    // Storing a list needs no shown items (an empty page).
    await stub.recordImpressions([], { key: "list-b", sessionVersion: 3 });
    expect((await stub.snapshot()).cachedLists).toEqual({ "list-a": 0, "list-b": 3 });
    expect(await shownCounts(user)).toEqual({ m1: 1 });
    // Stored again: the newer version wins and the key becomes the newest.
    await stub.recordImpressions([], { key: "list-a", sessionVersion: 4 });
    for (let k = 0; k < 63; k++) await stub.recordImpressions([], { key: `more-${k}`, sessionVersion: 4 });
    const lists = (await stub.snapshot()).cachedLists;
    expect(Object.keys(lists)).toHaveLength(64);
    expect(lists["list-b"]).toBeUndefined();
    expect(lists["list-a"]).toBe(4);
    await stub.erase();
    expect((await stub.snapshot()).cachedLists).toEqual({});
  });

  it("answers repeat snapshots from memory that always equals what SQLite holds, pruning included", async () => {
    const user = freshUser();
    const stub = stubOf(user);
    const stored = () =>
      runInDurableObject(stub, (_instance, state) => {
        const rows = state.storage.sql.exec<{ item_id: string; shown: number }>("SELECT item_id, shown FROM impressions").toArray();
        return Object.fromEntries(rows.map((r) => [r.item_id, r.shown]));
      });
    expect((await postEvents([{ eventId: `${user}-1`, userId: user, itemId: "m1", type: "click", timestamp: at() }])).status).toBe(200);
    const first = await stub.snapshot();
    await stub.recordImpressions(["m2", "m3", "m2"]);
    await stub.recordImpressions(["m3"]);
    const second = await stub.snapshot();
    expect(await shownCounts(user)).toEqual({ m2: 1, m3: 2 });
    expect(await shownCounts(user)).toEqual(await stored());
    expect(second.sessionVersion).toBe(first.sessionVersion);
    // A new event changes the session: the next snapshot reads it.
    expect((await postEvents([{ eventId: `${user}-2`, userId: user, itemId: "m4", type: "like", timestamp: at() }])).status).toBe(200);
    const third = await stub.snapshot();
    expect(third.sessionVersion).toBe(first.sessionVersion + 1);
    expect(third.recentItemIds).toEqual(["m4", "m1"]);
    // Past the cap (5,000 items and a slack of 500), the least recently shown go, in memory as on disk.
    for (let batch = 0; batch < 112; batch++) await stub.recordImpressions(Array.from({ length: 50 }, (_, k) => `p${batch * 50 + k}`));
    const pruned = await shownCounts(user);
    expect(pruned).toEqual(await stored());
    expect(Object.keys(pruned).length).toBeLessThanOrEqual(5500);
    expect(pruned.m2).toBeUndefined();
    expect(pruned.p5599).toBe(1);
  });

  it("stores a declared profile, bumps the version, and rejects a bad one without change", async () => {
    const user = freshUser();
    const res = await call(`/v1/users/${user}`, jsonInit("PUT", { region: "br", categories: ["Drama", "Drama", "Comedy"] }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      userId: user,
      profile: { region: "BR", categories: ["Drama", "Comedy"] },
      sessionVersion: 1,
    });
    // A language is refused: the catalog has nothing to match it against, so it would be stored and never used.
    for (const bad of [{ region: "Brazil" }, { language: "pt-BR" }, { categories: "Drama" }, { favourite: "x" }]) {
      const rejected = await call(`/v1/users/${user}`, jsonInit("PUT", bad));
      expect(rejected.status, JSON.stringify(bad)).toBe(400);
      expect((await rejected.json<{ error: { code: string } }>()).error.code).toBe("invalid_request");
    }
    const snapshot = await stubOf(user).snapshot();
    expect(snapshot.profile).toEqual({ region: "BR", categories: ["Drama", "Comedy"] });
    expect(snapshot.sessionVersion).toBe(1);
  });

  it("erases everything of a user on DELETE, so their seen items come back", async () => {
    const user = freshUser();
    await call(`/v1/users/${user}`, jsonInit("PUT", { categories: ["Drama"] }));
    await postEvents([{ eventId: `${user}-1`, userId: user, itemId: "m0", type: "click", timestamp: at() }]);
    const before = await (await call(`/v1/recommendations?user_id=${user}&limit=3`)).json<{ items: { itemId: string }[] }>();
    expect(before.items.map((i) => i.itemId)).not.toContain("m0");

    const res = await call(`/v1/users/${user}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ userId: user, erased: true, redis: "disabled" });
    const snapshot = await stubOf(user).snapshot();
    expect(snapshot).toMatchObject({ seenItemIds: [], recentItemIds: [], recentEvents: [], affinities: [], shownSince: [] });
    expect(snapshot.impressions).toHaveLength(0);
    expect(snapshot.profile).toEqual({ region: null, categories: [] });
    expect(await stubOf(user).eventCount()).toBe(0);
    const after = await (await call(`/v1/recommendations?user_id=${user}&limit=3`)).json<{ items: { itemId: string }[] }>();
    expect(after.items.map((i) => i.itemId)).toContain("m0");
    // The erased event id is new again: a user who comes back starts afresh (with what happens from now on).
    const again = await (
      await postEvents([{ eventId: `${user}-1`, userId: user, itemId: "m0", type: "click", timestamp: Date.now() }])
    ).json<{ accepted: string[] }>();
    expect(again.accepted).toEqual([`${user}-1`]);
  });

  it("drains the outbox in order and keeps what a failed delivery did not take", async () => {
    const events: OutboxEvent[] = Array.from({ length: 250 }, (_, i) => ({
      region: "global",
      event: { eventId: `o${i}`, userId: "u", itemId: `i${i}`, type: "click", timestampMs: 1_700_000_000_000 + i },
    }));
    await runInDurableObject(stubOf(freshUser()), async (_instance, state) => {
      const sql = state.storage.sql;
      enqueue(sql, events, Date.now());
      const delivered: string[] = [];
      let calls = 0;
      const failing = drainOutbox(sql, async (items) => {
        if (++calls === 2) throw new Error("redis down");
        delivered.push(...items.map((x) => (x as OutboxEvent).event.eventId));
      });
      await expect(failing).rejects.toThrow("redis down");
      expect(delivered).toEqual(events.slice(0, 100).map((x) => x.event.eventId));
      expect(outboxSize(sql)).toBe(150);
      expect(await drainOutbox(sql, async (items) => void delivered.push(...items.map((x) => (x as OutboxEvent).event.eventId)))).toBe(150);
      expect(delivered).toEqual(events.map((x) => x.event.eventId));
      expect(outboxSize(sql)).toBe(0);
    });
  });
});

describe("GET /v1/trending without Redis", () => {
  it("stands in the popular list and says Redis is off", async () => {
    await publishDemo("v-sessions");
    const body = await (await call("/v1/trending?limit=2")).json<{ source: string; items: { itemId: string }[]; degraded: string[] }>();
    expect(body).toMatchObject({ source: "popular", degraded: ["redis_disabled"] });
    expect(body.items.map((i) => i.itemId)).toEqual(["m0", "m1"]);
    expect((await call("/v1/trending?region=narnia")).status).toBe(400);
  });
});
