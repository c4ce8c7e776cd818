import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../../index-builder/src/local/free-port";
import { type LocalStack, startLocalStack } from "../../index-builder/src/local/local-stack";
import { publishIndex } from "../../index-builder/src/publish/publish-index";
import { createClient } from "../../client";
import { type Answer } from "./client";
import { poll, redisClient, streamCounts } from "./stream-helpers";

// Its own stack, because this file stops and restarts redis-server.
let stack: LocalStack;
let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "outage-e2e-"));
  stack = await startLocalStack({ port: await freePort(), persistTo: join(stateDir, "wrangler"), redis: "required", persistentRedis: true });
  await publishIndex(inject("indexDir"), { url: stack.url, adminKey: stack.adminKey });
});
afterAll(async () => {
  await stack?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe("a Redis outage", () => {
  it("keeps accepted events in the outbox and delivers each exactly once after Redis returns", async () => {
    const redis = redisClient(stack.redis!.url, stack.redis!.token);
    const server = createClient(stack.url, { secretKey: stack.adminKey });
    const post = async (events: Parameters<typeof server.v1.events.$post>[0]["json"]["events"]) =>
      (await (await server.v1.events.$post({ json: { events } })).json()) as { accepted: string[]; redis: string };
    const users = ["out-a", "out-b"];
    const batch = (n: number) =>
      users.map((u) => ({ eventId: `${u}-${n}`, userId: u, itemId: String(n), type: "view" as const, timestamp: Date.now() - 1000 }));

    expect((await post(batch(1))).redis).toBe("delivered");
    await stack.redis!.server.halt();
    const during = [await post(batch(2)), await post(batch(3))];
    for (const r of during) {
      expect(r.accepted).toHaveLength(2);
      expect(r.redis).toBe("queued");
    }
    // Recommendations still answer, naming the stage Redis took down.
    const recs = await server.v1.recommendations.$get({ query: { user_id: "out-a", limit: "10" } });
    expect(recs.status).toBe(200);
    const body = (await recs.json()) as { items: unknown[]; degraded: string[] };
    expect(body.items).toHaveLength(10);
    expect(body.degraded).toContain("trending_error");
    // The detailed health says so, without quoting the driver's error (it names the address).
    const health = (await (await server.health.$get()).json()) as { status: string; bindings: { redis: { status: string; message: string } } };
    expect(health.status).toBe("degraded");
    expect(health.bindings.redis.status).toBe("error");
    expect(health.bindings.redis.message).not.toContain("127.0.0.1");
    // Experiment counters live in Redis: a coded 503, never a 500.
    const counters: Answer = await server.admin.experiments[":variant"].counters.$get({ param: { variant: "default" }, query: { region: "global" } });
    expect(counters.status).toBe(503);
    expect(((await counters.json()) as { error: { code: string } }).error.code).toBe("dependency_unavailable");

    const pending = async () =>
      Promise.all(
        users.map(async (u) => ((await (await server.admin.users[":id"].events.$get({ param: { id: u } })).json()) as { pendingOutbox: number }).pendingOutbox),
      );
    expect(await pending()).toEqual([2, 2]);

    await stack.redis!.server.restart();
    // Nothing new arrives: the alarms alone must drain the outboxes.
    const drained = await poll(pending, (p) => p.every((n) => n === 0), 20_000);
    expect(drained).toEqual([0, 0]);
    const counts = await streamCounts(redis);
    for (const n of [1, 2, 3]) for (const u of users) expect(counts.get(`${u}-${n}`), `${u}-${n}`).toBe(1);
    // Order within a user survives the outage.
    const stored = (await (await server.admin.users[":id"].events.$get({ param: { id: "out-a" } })).json()) as { eventIds: string[] };
    expect(stored.eventIds).toEqual(["out-a-1", "out-a-2", "out-a-3"]);
  });

  it("counts a merged visitor's events once, though Redis stalled while they were posted and ran the timed-out write later", async () => {
    const redis = redisClient(stack.redis!.url, stack.redis!.token);
    const server = createClient(stack.url, { secretKey: stack.adminKey });
    // INFO through the Upstash REST protocol (a command as a JSON array): the redis-server's pid, to freeze it.
    const infoAnswer = await fetch(stack.redis!.url, {
      method: "POST",
      headers: { Authorization: `Bearer ${stack.redis!.token}` },
      body: JSON.stringify(["INFO", "server"]),
    });
    const info = ((await infoAnswer.json()) as { result: string }).result;
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    expect(pid).toBeGreaterThan(0);
    const issued = (await (await server.v1.anonymous.$post()).json()) as { userId: string; token: string };
    const user = `merge-stall-${Date.now()}`;
    const events = ["1", "2"].map((itemId, n) => ({ eventId: `m-${n}`, userId: issued.userId, itemId, type: "view" as const, timestamp: Date.now() - 1000 }));
    process.kill(pid, "SIGSTOP");
    try {
      // The Worker gives up on Redis after its timeout; the write stays in Redis's socket and runs once it wakes.
      const posted = (await (await server.v1.events.$post({ json: { events } })).json()) as { accepted: string[]; redis: string };
      expect(posted).toMatchObject({ accepted: ["m-0", "m-1"], redis: "queued" });
      const merged = await server.v1.users[":id"].merge.$post({ param: { id: user }, json: { anonymousToken: issued.token } });
      expect(await merged.json()).toMatchObject({ mergedFrom: issued.userId, mergedEvents: 2 });
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const pending = async () =>
      ((await (await server.admin.users[":id"].events.$get({ param: { id: user } })).json()) as { pendingOutbox: number }).pendingOutbox;
    expect(await poll(pending, (n) => n === 0, 60_000)).toBe(0);
    const counts = await streamCounts(redis);
    for (const e of events) {
      expect(counts.get(e.eventId), e.eventId).toBe(1);
      expect(counts.get(`${issued.userId}:${e.eventId}`), `${e.eventId} again, as the user's`).toBeUndefined();
    }
  });

  it("queues the impressions shown while Redis is down in the users' outboxes and logs each once when it returns", async () => {
    const redis = redisClient(stack.redis!.url, stack.redis!.token);
    const server = createClient(stack.url, { secretKey: stack.adminKey });
    const users = ["imp-a", "imp-b", "imp-c"];
    const shown = new Map<string, number>();
    await stack.redis!.server.halt();
    const haltedAt = Date.now();
    for (let round = 0; round < 4; round++) {
      for (const u of users) {
        const res = await server.v1.recommendations.$get({ query: { user_id: u, limit: "5", exclude: String(round) } });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { impressionId: string; items: unknown[] };
        expect(body.items).toHaveLength(5);
        shown.set(body.impressionId, Date.now());
      }
    }
    const pending = async () =>
      Promise.all(
        users.map(
          async (u) =>
            ((await (await server.admin.users[":id"].events.$get({ param: { id: u } })).json()) as { pendingImpressions: number }).pendingImpressions,
        ),
      );
    // The failed writes reach the sessions after the responses, within the Redis client's timeout.
    expect(await poll(pending, (p) => p.reduce((a, b) => a + b, 0) === shown.size, 20_000)).toEqual([4, 4, 4]);

    await stack.redis!.server.restart();
    expect(await poll(pending, (p) => p.every((n) => n === 0), 60_000)).toEqual([0, 0, 0]);
    const logged = new Map<string, { count: number; timestampMs: number }>();
    const counts = await streamCounts(redis, "impressions:stream", (fields) => {
      const record = JSON.parse(fields.impression ?? "{}") as { impressionId: string; timestampMs: number };
      logged.set(record.impressionId, { count: (logged.get(record.impressionId)?.count ?? 0) + 1, timestampMs: record.timestampMs });
      return record.impressionId;
    });
    for (const [id, at] of shown) {
      expect(counts.get(id), id).toBe(1);
      // Logged with the time it was shown, not the time it was delivered.
      expect(logged.get(id)!.timestampMs).toBeGreaterThanOrEqual(haltedAt);
      expect(logged.get(id)!.timestampMs).toBeLessThanOrEqual(at);
      expect(await redis.exists(`imp:${id}`)).toBe(1);
    }
  });
});
