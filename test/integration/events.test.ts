import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_EVENTS_PER_BATCH } from "../../shared/events/event";
import { call, demoCatalog, freshUser, postEvents, seedCatalog } from "./fixtures";

interface EventsBody {
  accepted: string[];
  duplicates: string[];
  sessions: Record<string, { sessionVersion: number }>;
  redis: string;
}
interface ErrorBody {
  error: { code: string; message: string; index: number; field: string };
}

const now = () => Date.now() - 1000;
const click = (userId: string, id: string, itemId = "m1") => ({ eventId: id, userId, itemId, type: "click", timestamp: now() });

function storedEventCount(userId: string): Promise<number> {
  const stub = env.USER_SESSION.get(env.USER_SESSION.idFromName(userId));
  return runInDurableObject(stub, (instance) => instance.eventCount());
}

describe("POST /v1/events", () => {
  beforeAll(() => seedCatalog(demoCatalog(30)));

  it("stores a batch in each user's Durable Object and bumps the session version", async () => {
    const [a, b] = [freshUser(), freshUser()];
    const res = await postEvents([
      click(a, `${a}-1`),
      { eventId: `${a}-2`, userId: a, itemId: "m2", type: "rating", value: 4.5, timestamp: new Date(now()).toISOString() },
      { eventId: `${b}-1`, userId: b, itemId: "m3", type: "watch", seconds: 120, timestamp: now(), surface: "home", context: { device: "tv" } },
    ]);
    expect(res.status).toBe(200);
    const body = await res.json<EventsBody>();
    expect(body.accepted).toEqual([`${a}-1`, `${a}-2`, `${b}-1`]);
    expect(body.duplicates).toEqual([]);
    expect(body.sessions).toEqual({ [a]: { sessionVersion: 1 }, [b]: { sessionVersion: 1 } });
    expect(body.redis).toBe("disabled");
    expect(await storedEventCount(a)).toBe(2);
    expect(await storedEventCount(b)).toBe(1);
  });

  it("is idempotent on event id: a retried batch is stored once", async () => {
    const user = freshUser();
    const batch = [click(user, `${user}-1`), click(user, `${user}-2`, "m2")];
    await postEvents(batch);
    const retry = await (await postEvents([...batch, click(user, `${user}-3`, "m3")])).json<EventsBody>();
    expect(retry.accepted).toEqual([`${user}-3`]);
    expect(retry.duplicates).toEqual([`${user}-1`, `${user}-2`]);
    expect(retry.sessions[user]!.sessionVersion).toBe(2);
    const again = await (await postEvents(batch)).json<EventsBody>();
    expect(again.accepted).toEqual([]);
    expect(again.sessions[user]!.sessionVersion).toBe(2);
    expect(await storedEventCount(user)).toBe(3);
  });

  const invalid: [string, (u: string) => unknown, number, string][] = [
    ["missing eventId", (u) => ({ userId: u, itemId: "m1", type: "click", timestamp: now() }), 1, "eventId"],
    ["unknown type", (u) => ({ ...click(u, "x1"), type: "hover" }), 1, "type"],
    ["rating without value", (u) => ({ ...click(u, "x1"), type: "rating" }), 1, "value"],
    ["rating out of range", (u) => ({ ...click(u, "x1"), type: "rating", value: 7 }), 1, "value"],
    ["watch with negative seconds", (u) => ({ ...click(u, "x1"), type: "watch", seconds: -3 }), 1, "seconds"],
    ["timestamp in the future", (u) => ({ ...click(u, "x1"), timestamp: Date.now() + 3_600_000 }), 1, "timestamp"],
    ["unparseable timestamp", (u) => ({ ...click(u, "x1"), timestamp: "yesterday" }), 1, "timestamp"],
    ["item id with spaces", (u) => ({ ...click(u, "x1"), itemId: "a b" }), 1, "itemId"],
    ["unknown field", (u) => ({ ...click(u, "x1"), colour: "red" }), 1, "colour"],
  ];
  for (const [label, make, index, field] of invalid) {
    it(`rejects the whole batch on ${label}, naming index and field, and writes nothing`, async () => {
      const user = freshUser();
      const res = await postEvents([click(user, `${user}-ok`), make(user)]);
      expect(res.status).toBe(400);
      const body = await res.json<ErrorBody>();
      expect(body.error).toMatchObject({ code: "invalid_event_batch", index, field });
      expect(body.error.message).toContain(`events[${index}].${field}`);
      expect(await storedEventCount(user)).toBe(0);
    });
  }

  it("rejects duplicate ids within one batch, empty and oversized batches", async () => {
    const user = freshUser();
    const dup = await postEvents([click(user, "same"), click(user, "same", "m2")]);
    expect(dup.status).toBe(400);
    expect((await dup.json<ErrorBody>()).error).toMatchObject({ index: 1, field: "eventId" });
    expect((await postEvents([])).status).toBe(400);
    const tooMany = Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, (_, i) => click(user, `${user}-${i}`));
    const big = await postEvents(tooMany);
    expect(big.status).toBe(400);
    expect((await big.json<ErrorBody>()).error.field).toBe("events");
    expect(await storedEventCount(user)).toBe(0);
  });

  it("answers non-JSON bodies and wrong content types with their own codes", async () => {
    const badJson = await call("/v1/events", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{events:" });
    expect(badJson.status).toBe(400);
    expect((await badJson.json<ErrorBody>()).error.code).toBe("invalid_json");
    const text = await call("/v1/events", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "{}" });
    expect(text.status).toBe(415);
    expect((await text.json<ErrorBody>()).error.code).toBe("unsupported_media_type");
    const huge = await call("/v1/events", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ events: [], pad: "x".repeat(1_100_000) }),
    });
    expect(huge.status).toBe(413);
    expect((await huge.json<ErrorBody>()).error.code).toBe("payload_too_large");
  });

  it("keeps at most the configured number of events per session, oldest evicted first", async () => {
    const { MAX_SESSION_EVENTS } = await import("../../worker/src/session/schema");
    const user = freshUser();
    for (let start = 0; start < MAX_SESSION_EVENTS + 100; start += MAX_EVENTS_PER_BATCH) {
      const batch = Array.from({ length: MAX_EVENTS_PER_BATCH }, (_, i) => click(user, `${user}-${start + i}`, `m${(start + i) % 30}`));
      expect((await postEvents(batch)).status).toBe(200);
    }
    expect(await storedEventCount(user)).toBe(MAX_SESSION_EVENTS);
  });
});
