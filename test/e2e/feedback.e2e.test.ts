import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { ingestFromRedis } from "../../index-builder/src/ingest/redis-stream";
import { DELETED_USERS_KEY, IMPRESSION_STREAM_KEY, impressionKey } from "../../shared/online/redis-keys";
import { erasureTag } from "../../shared/privacy/erasure-tag";
import { serverClient, sharedCredentials } from "./client";
import { clearOfHourBoundary, poll, redisClient, streamCounts } from "./stream-helpers";

const server = serverClient(sharedCredentials());
const redis = redisClient(inject("redisUrl"), inject("redisToken"));
const scratch = await mkdtemp(join(tmpdir(), "feedback-e2e-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

type Events = Parameters<typeof server.v1.events.$post>[0]["json"]["events"];
const post = (events: Events) => server.v1.events.$post({ json: { events } });
const click = (user: string, n: number, itemId: string, extra: { impressionId?: string } = {}) => ({
  eventId: `${user}-${n}`,
  userId: user,
  itemId,
  type: "click" as const,
  timestamp: Date.now() - 1000,
  ...extra,
});

describe("the feedback loop over HTTP with a real Redis", () => {
  it("delivers accepted events to the stream exactly once, retries included, and trending reflects them", async () => {
    const user = `fb-${Date.now()}`;
    const other = `fb2-${Date.now()}`;
    // Catalog items nobody else's test clicks; a user moves an item's trending once an hour, however often they click.
    const [itemA, itemB] = ["193581", "193583"];
    const trendingScores = async () => {
      const body = (await (await server.v1.trending.$get({ query: { region: "global", limit: "100" } })).json()) as {
        source: string;
        items: { itemId: string; score: number }[];
        degraded: string[];
      };
      // Before anything was counted (this file may run first), the popular list stands in, and nothing is degraded.
      expect(body.degraded).toEqual([]);
      if (body.source === "popular") return () => 0;
      expect(body.source).toBe("redis");
      return (id: string) => body.items.find((i) => i.itemId === id)?.score ?? 0;
    };
    // A region nobody was counted in: the popular list, not an empty shelf.
    const quiet = (await (await server.v1.trending.$get({ query: { region: "zw", limit: "5" } })).json()) as {
      source: string;
      items: unknown[];
      degraded: string[];
    };
    expect(quiet).toMatchObject({ source: "popular", degraded: [] });
    expect(quiet.items).toHaveLength(5);
    // Trending decays by the hour: the reads before and after the clicks, and the clicks, fall in one hour.
    await clearOfHourBoundary();
    const before = await trendingScores();
    const batch = [click(user, 1, itemA), click(user, 2, itemA), click(user, 3, itemB), click(other, 1, itemA)];
    const first = (await (await post(batch)).json()) as { accepted: string[]; redis: string };
    expect(first).toMatchObject({ accepted: batch.map((e) => e.eventId), redis: "delivered" });
    const retry = (await (await post(batch)).json()) as { accepted: string[]; duplicates: string[] };
    expect(retry.accepted).toEqual([]);
    expect(retry.duplicates).toHaveLength(4);

    const counts = await streamCounts(redis);
    for (const e of batch) expect(counts.get(e.eventId)).toBe(1);

    const after = await trendingScores();
    expect(after(itemA) - before(itemA)).toBeCloseTo(2, 6);
    expect(after(itemB) - before(itemB)).toBeCloseTo(1, 6);
  });

  it("keeps event ids per user: another user's event with the same id is delivered, not dropped", async () => {
    const [a, b] = [`ida-${Date.now()}`, `idb-${Date.now()}`];
    const shared = `same-id-${Date.now()}`;
    for (const userId of [a, b]) {
      const body = (await (await post([{ ...click(userId, 0, "193585"), eventId: shared }])).json()) as { accepted: string[]; redis: string };
      expect(body).toMatchObject({ accepted: [shared], redis: "delivered" });
    }
    const users = await streamCounts(redis, undefined, (fields) => {
      const e = JSON.parse(fields.event ?? "{}") as { eventId: string; userId: string };
      return `${e.userId}/${e.eventId}`;
    });
    expect(users.get(`${a}/${shared}`)).toBe(1);
    expect(users.get(`${b}/${shared}`)).toBe(1);
  });

  it("attributes clicks to the variant of the impression they came from", async () => {
    const user = `attr-${Date.now()}`;
    const recs = (await (await server.v1.recommendations.$get({ query: { user_id: user, limit: "5" } })).json()) as {
      impressionId: string;
      region: string;
      items: { itemId: string }[];
    };
    const counters = async () =>
      (
        (await (await server.admin.experiments[":variant"].counters.$get({ param: { variant: "default" }, query: { region: recs.region } })).json()) as {
          counters: Record<string, number>;
        }
      ).counters;
    // The impression is recorded after the response (waitUntil): wait for it, as a real click would.
    expect(
      await poll(
        () => redis.exists(impressionKey(recs.impressionId)),
        (n) => n === 1,
        5000,
      ),
    ).toBe(1);
    const before = await counters();
    expect(before.impressions ?? 0).toBeGreaterThanOrEqual(1);

    await post([click(user, 1, recs.items[0]!.itemId, { impressionId: recs.impressionId })]);
    const after = await counters();
    expect(after["ev:click"]).toBe((before["ev:click"] ?? 0) + 1);
  });

  it("logs every showing once when many arrive together (impressions share batched Redis writes)", async () => {
    const stamp = Date.now();
    const showings = await Promise.all(
      Array.from({ length: 40 }, async (_, u) => {
        const res = await server.v1.recommendations.$get({ query: { user_id: `burst-${stamp}-${u}`, limit: "5" } });
        expect(res.status).toBe(200);
        return (await res.json()) as { impressionId: string; region: string; items: { itemId: string; propensity: number }[] };
      }),
    );
    const ids = showings.map((s) => s.impressionId);
    const logged = () =>
      streamCounts(redis, IMPRESSION_STREAM_KEY, (fields) => (JSON.parse(fields.impression ?? "{}") as { impressionId: string }).impressionId);
    const counts = await poll(logged, (c) => ids.every((id) => c.has(id)), 5000);
    for (const id of ids) expect(counts.get(id), id).toBe(1);
    // Each impression is also kept under its id, with what was shown, for attribution.
    for (const s of showings) {
      const items = await redis.hget<string>(impressionKey(s.impressionId), "items");
      expect(JSON.parse(items ?? "[]")).toEqual(s.items.map((i) => i.itemId));
    }
  });

  it("erases a user: tombstone in Redis, and the stream reader drops their events", async () => {
    const keep = `keep-${Date.now()}`;
    const gone = `gone-${Date.now()}`;
    await post([click(keep, 1, "1"), click(gone, 1, "2"), click(gone, 2, "3")]);
    const res = await server.v1.users[":id"].$delete({ param: { id: gone } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ erased: true, redis: "erased" });
    expect(await redis.zscore(DELETED_USERS_KEY, await erasureTag(inject("erasureKey"), gone))).not.toBeNull();

    const out = join(scratch, "events.jsonl");
    const cursorFile = join(scratch, "cursor");
    const options = { url: inject("redisUrl"), token: inject("redisToken"), outFile: out, cursorFile, pageSize: 7, erasureKey: inject("erasureKey") };
    const report = await ingestFromRedis(options);
    const lines = (await readFile(out, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { eventId: string; userId: string });
    expect(lines.map((l) => l.eventId)).toContain(`${keep}-1`);
    expect(lines.some((l) => l.userId === gone)).toBe(false);
    // The erasure took their entries out of the stream itself; nothing was left for ingest to drop.
    expect([...(await streamCounts(redis, undefined, (f) => (JSON.parse(f.event ?? "{}") as { userId: string }).userId)).keys()]).not.toContain(gone);
    expect(report.scrubbed).toBe(0);
    expect(new Set(lines.map((l) => `${l.userId}/${l.eventId}`)).size).toBe(lines.length);

    // The cursor makes the next run read only what arrived since.
    await post([click(keep, 2, "4")]);
    const next = await ingestFromRedis(options);
    expect(next.written).toBe(1);
    const all = (await readFile(out, "utf8")).trim().split("\n");
    expect(JSON.parse(all[all.length - 1]!)).toMatchObject({ eventId: `${keep}-2`, itemId: "4", type: "click" });
  });
});
