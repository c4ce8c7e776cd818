import { describe, expect, it } from "vitest";
import { type MetricsSummary } from "../../shared/metrics/request-metrics";
import { serverClient, sharedCredentials } from "./client";
import { poll } from "./stream-helpers";

const server = serverClient(sharedCredentials());

describe("request metrics an operator can read", () => {
  it("summarizes recommendations, events and errors per route: counts, latency, cache hits, heavy share, CTR per surface", async () => {
    // The last hour: the stack is new each run, so no minute of it ages out between the two reads (with 5 minutes, one did
    // whenever a minute boundary fell between them, taking other files' requests with it).
    const summary = async () => (await (await server.admin.metrics.$get({ query: { minutes: "60" } })).json()) as MetricsSummary;
    const before = await summary();
    const user = `metrics-${Date.now()}`;
    const lists = 4;
    for (let i = 0; i < lists; i++) {
      // Each list twice: a miss, then a hit.
      for (let k = 0; k < 2; k++) {
        expect((await server.v1.recommendations.$get({ query: { user_id: user, surface: "home", limit: "5", exclude: `x${i}` } })).status).toBe(200);
      }
    }
    const clicks = [0, 1, 2].map((n) => ({
      eventId: `${user}-c${n}`,
      userId: user,
      itemId: "1",
      type: "click" as const,
      surface: "home" as const,
      timestamp: Date.now() - 1000,
    }));
    expect((await server.v1.events.$post({ json: { events: clicks } })).status).toBe(200);
    expect((await server.v1.recommendations.$get({ query: { user_id: user, limit: "0" } })).status).toBe(400);

    const recsBefore = before.routes["/v1/recommendations"]?.requests ?? 0;
    const after = await poll(
      summary,
      (s) => (s.routes["/v1/recommendations"]?.requests ?? 0) >= recsBefore + 2 * lists + 1 && (s.ctr.home?.clicks ?? 0) >= (before.ctr.home?.clicks ?? 0) + 3,
      5000,
    );
    const recs = after.routes["/v1/recommendations"]!;
    expect(recs.requests - recsBefore).toBeGreaterThanOrEqual(2 * lists + 1);
    expect(recs.clientErrorShare).toBeGreaterThan(0);
    expect(recs.cacheHitRate).toBeGreaterThan(0);
    expect(recs.p95Ms).toBeGreaterThanOrEqual(recs.p50Ms);
    expect(after.heavyShare).not.toBeNull();
    expect(after.ctr.home!.clicks - (before.ctr.home?.clicks ?? 0)).toBe(3);
    expect(after.ctr.home!.shown).toBeGreaterThan(before.ctr.home?.shown ?? 0);
    expect(after.routes["/v1/events"]!.requests).toBeGreaterThan(0);
    expect((await server.admin.metrics.$get({ query: { minutes: "0" } })).status).toBe(400);
  });
});
