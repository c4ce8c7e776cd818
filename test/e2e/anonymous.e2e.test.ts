import { describe, expect, inject, it } from "vitest";
import { browserFetch, serverFetch, sharedCredentials, tokenFor } from "./client";
import { redisClient, streamCounts } from "./stream-helpers";

const base = inject("baseUrl");
const credentials = sharedCredentials();
const browser = browserFetch(credentials);
const server = serverFetch(credentials);
const redis = redisClient(inject("redisUrl"), inject("redisToken"));
const json = (method: string, body: unknown): RequestInit => ({ method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

describe("an anonymous visitor who logs in, with a real Redis", () => {
  it("is merged into the user, and Redis counts the visitor's events once", async () => {
    const anon = (await (await browser(`${base}/v1/anonymous`, { method: "POST", headers: { "CF-Connecting-IP": "192.0.2.77" } })).json()) as {
      userId: string;
      token: string;
    };
    const events = ["1", "2"].map((itemId, n) => ({
      eventId: `${anon.userId}-${n}`,
      userId: anon.userId,
      itemId,
      type: "click",
      timestamp: Date.now() - 1000,
    }));
    const posted = (await (await browser(`${base}/v1/events`, json("POST", { events }), anon.token)).json()) as { redis: string };
    expect(posted.redis).toBe("delivered");

    const user = `login-${Date.now()}`;
    const merged = await browser(`${base}/v1/users/${user}/merge`, json("POST", { anonymousToken: anon.token }), await tokenFor(credentials, user));
    expect(await merged.json()).toMatchObject({ mergedFrom: anon.userId, mergedEvents: 2 });
    const audit = (await (await server(`${base}/admin/users/${user}/events`)).json()) as { eventIds: string[]; pendingOutbox: number };
    // The visitor's ids, prefixed with the anonymous id: event ids are each user's own.
    expect(audit).toMatchObject({ eventIds: events.map((e) => `${anon.userId}:${e.eventId}`), pendingOutbox: 0 });
    // Delivered once, under the anonymous id; not again as the user's.
    const counts = await streamCounts(redis);
    for (const e of events) expect(counts.get(e.eventId), e.eventId).toBe(1);
  });
});
