import { describe, expect, inject, it } from "vitest";
import { browserClient, serverClient, sharedCredentials, tokenFor } from "./client";
import { redisClient, streamCounts } from "./stream-helpers";

const credentials = sharedCredentials();
const server = serverClient(credentials);
const redis = redisClient(inject("redisUrl"), inject("redisToken"));

describe("an anonymous visitor who logs in, with a real Redis (through the typed client)", () => {
  it("is merged into the user, and Redis counts the visitor's events once", async () => {
    const session: { token?: string } = {};
    const visitor = browserClient(credentials, () => session.token, { "CF-Connecting-IP": "192.0.2.77" });
    const issued = await visitor.v1.anonymous.$post();
    expect(issued.status).toBe(201);
    const anon = await issued.json();
    if (!("token" in anon)) throw new Error(`no anonymous id: ${JSON.stringify(anon)}`);
    session.token = anon.token;
    const events = ["1", "2"].map((itemId, n) => ({
      eventId: `${anon.userId}-${n}`,
      userId: anon.userId,
      itemId,
      type: "click" as const,
      timestamp: Date.now() - 1000,
    }));
    const posted = await (await visitor.v1.events.$post({ json: { events } })).json();
    expect(posted).toMatchObject({ redis: "delivered", accepted: events.map((e) => e.eventId) });

    const user = `login-${Date.now()}`;
    const loggedIn = browserClient(credentials, await tokenFor(credentials, user), { "CF-Connecting-IP": "192.0.2.77" });
    const merged = await loggedIn.v1.users[":id"].merge.$post({ param: { id: user }, json: { anonymousToken: anon.token } });
    expect(await merged.json()).toMatchObject({ mergedFrom: anon.userId, mergedEvents: 2 });
    const audit = await (await server.admin.users[":id"].events.$get({ param: { id: user } })).json();
    // The visitor's ids, prefixed with the anonymous id: event ids are each user's own.
    expect(audit).toMatchObject({ eventIds: events.map((e) => `${anon.userId}:${e.eventId}`), pendingOutbox: 0 });
    // Delivered once, under the anonymous id; not again as the user's.
    const counts = await streamCounts(redis);
    for (const e of events) expect(counts.get(e.eventId), e.eventId).toBe(1);
  });
});
