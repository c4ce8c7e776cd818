import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { EVENT_ID_HORIZON_MS, MAX_EVENTS_PER_BATCH } from "../../shared/events/event";
import { type EventResult } from "../../shared/events/event-results";
import worker from "../../worker/src/index";
import { ADMIN_KEY, BASE, call, demoCatalog, failing, freshUser, postEvents, seedCatalog } from "./fixtures";
import { funnelCatalog, publishFunnelIndex } from "./funnel-fixture";

interface EventsBody {
  results: EventResult[];
  accepted: string[];
  duplicates: string[];
  sessions: Record<string, { sessionVersion: number }>;
  redis: string;
  degraded?: string[];
}
interface ErrorBody {
  error: { code: string; message: string; index: number; field: string; results?: EventResult[] };
}

/** The session namespace, with every call to `victim`'s object throwing as a failing Durable Object does. */
function sessionsFailingFor(victim: string): Env["USER_SESSION"] {
  const sessions = env.USER_SESSION;
  const victimId = sessions.idFromName(victim);
  const broken = new Proxy(
    {},
    {
      get: () => () => Promise.reject(new Error("injected Durable Object failure")),
    },
  );
  return new Proxy(sessions, {
    get(target, p) {
      if (p === "get") return (id: DurableObjectId) => (id.equals(victimId) ? broken : target.get(id));
      const v = Reflect.get(target, p) as unknown;
      return typeof v === "function" ? (v as (...args: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** POST /v1/events through the Worker with some bindings replaced. */
async function postEventsWith(events: unknown[], bindings: Partial<Env>): Promise<Response> {
  const ctx = createExecutionContext();
  const request = new Request<unknown, IncomingRequestCfProperties>(`${BASE}/v1/events`, {
    method: "POST",
    headers: { Authorization: `Bearer ${ADMIN_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ events }),
  });
  const res = await worker.fetch(request, { ...env, ...bindings } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** POST /v1/events with every D1 call throwing. */
function postEventsWithoutD1(events: unknown[]): Promise<Response> {
  return postEventsWith(events, { DB: failing(env.DB, ["prepare", "batch", "exec"]) });
}

/** A 200 that names the degraded catalog check: the first event stored, the second waiting for the catalog. */
async function expectStoredThenWaiting(res: Response): Promise<void> {
  expect(res.status).toBe(200);
  const body = await res.json<EventsBody>();
  expect(body.degraded).toEqual(["catalog_unavailable"]);
  expect(body.results.map((r) => [r.status, r.code])).toEqual([
    ["accepted", undefined],
    ["retry_later", "catalog_unavailable"],
  ]);
}

/** Moves the first receipt of `eventId` back by `ageMs` in the user's idempotency table. */
function ageEventId(userId: string, eventId: string, ageMs: number): Promise<void> {
  const stub = env.USER_SESSION.get(env.USER_SESSION.idFromName(userId));
  return runInDurableObject(stub, (_instance, state) => {
    state.storage.sql.exec(`UPDATE event_ids SET received_ms = ? WHERE event_id = ?`, Date.now() - ageMs, eventId);
  });
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
    it(`rejects the event alone on ${label}, naming index, field and code; the batch's valid events are stored`, async () => {
      const user = freshUser();
      const res = await postEvents([click(user, `${user}-ok`), make(user)]);
      expect(res.status).toBe(200);
      const body = await res.json<EventsBody>();
      expect(body.results[0]).toEqual({ index: 0, eventId: `${user}-ok`, userId: user, status: "accepted" });
      expect(body.results[index]).toMatchObject({ index, status: "rejected", code: "invalid_event", field });
      expect(body.results[index]!.message).toEqual(expect.any(String));
      expect(body.accepted).toEqual([`${user}-ok`]);
      expect(await storedEventCount(user)).toBe(1);
    });
    it(`refuses a batch whose every event is rejected (${label}) with a 400 naming index and field, and writes nothing`, async () => {
      const user = freshUser();
      const res = await postEvents([make(user)]);
      expect(res.status).toBe(400);
      const body = await res.json<ErrorBody>();
      expect(body.error).toMatchObject({ code: "invalid_event_batch", index: 0, field });
      expect(body.error.message).toContain(`events[0].${field}`);
      expect(body.error.results).toEqual([expect.objectContaining({ index: 0, status: "rejected", code: "invalid_event", field })]);
      expect(await storedEventCount(user)).toBe(0);
    });
  }

  it.each([
    ["2026-11-31T00:00:00Z", "day 31 does not exist in 2026-11, which has 30 days"],
    ["2026-12-05T24:00:00Z", "hour 24 does not exist (00-23; midnight is 00:00 of the next day)"],
  ])("refuses the impossible timestamp %s as invalid, naming the field, instead of storing it rolled over", async (timestamp, problem) => {
    const user = freshUser();
    const reason = `"${timestamp}" is not a real date-time: ${problem}`;
    const alone = await postEvents([{ ...click(user, `${user}-1`), timestamp }]);
    expect(alone.status).toBe(400);
    expect((await alone.json<ErrorBody>()).error).toMatchObject({
      code: "invalid_event_batch",
      index: 0,
      field: "timestamp",
      message: `events[0].timestamp: ${reason}; nothing in the batch was stored`,
    });
    const beside = await postEvents([click(user, `${user}-2`), { ...click(user, `${user}-3`), timestamp }]);
    expect(beside.status).toBe(200);
    expect((await beside.json<EventsBody>()).results[1]).toEqual({
      index: 1,
      eventId: `${user}-3`,
      userId: user,
      status: "rejected",
      code: "invalid_event",
      field: "timestamp",
      message: reason,
    });
    expect(await storedEventCount(user)).toBe(1);
  });

  // JSON.parse makes "__proto__" an own key like any other; none of these names is a field of an event.
  it.each(["__proto__", "constructor", "__defineGetter__", "hasOwnProperty", "isPrototypeOf", "valueOf", "toString"])(
    "refuses an extra field named %s, as Object.prototype names one, as an unknown field: 400, a string message, nothing stored",
    async (key) => {
      const user = freshUser();
      const event = `{"${key}":1,${JSON.stringify(click(user, `${user}-1`)).slice(1)}`;
      const res = await call("/v1/events", { method: "POST", headers: { "Content-Type": "application/json" }, body: `{"events":[${event}]}` });
      expect(res.status).toBe(400);
      expect((await res.json<ErrorBody>()).error).toMatchObject({
        code: "invalid_event_batch",
        index: 0,
        field: key,
        message: `events[0].${key}: unknown field; nothing in the batch was stored`,
      });
      expect(await storedEventCount(user)).toBe(0);
    },
  );

  it("counts a click on a surface named constructor as one click of that surface in the request metrics", async () => {
    // Redis as a fake REST endpoint: the Worker runs in this isolate, so its fetch is this one.
    const redisUrl = "http://redis.test";
    const increments: unknown[][] = [];
    const realFetch = globalThis.fetch;
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (!request.url.startsWith(redisUrl)) return realFetch(input, init);
      const commands = (await request.json()) as unknown[][];
      increments.push(...commands.filter((command) => command[0] === "hincrby"));
      return Response.json(
        commands.map((command) => (command[0] === "hincrby" && !Number.isInteger(command[3]) ? { error: "ERR value is not an integer" } : { result: 1 })),
      );
    });
    try {
      const user = freshUser();
      const surface = "constructor";
      const res = await postEventsWith(
        [
          { ...click(user, `${user}-1`), surface },
          { ...click(user, `${user}-2`, "m2"), surface },
        ],
        {
          UPSTASH_REDIS_REST_URL: redisUrl,
          UPSTASH_REDIS_REST_TOKEN: "t",
        },
      );
      expect(res.status).toBe(200);
      expect(increments.filter((command) => command[2] === `click|${surface}`).map((command) => command[3])).toEqual([2]);
    } finally {
      spy.mockRestore();
    }
  });

  it("rejects an event whose item is not in the catalog, alone", async () => {
    const user = freshUser();
    const body = await (await postEvents([click(user, `${user}-1`, "no-such-item"), click(user, `${user}-2`)])).json<EventsBody>();
    expect(body.results.map((r) => [r.status, r.code])).toEqual([
      ["rejected", "unknown_item"],
      ["accepted", undefined],
    ]);
    expect(await storedEventCount(user)).toBe(1);
  });

  it("scopes event ids to their user: two users' same id are two events", async () => {
    const [a, b] = [freshUser(), freshUser()];
    const body = await (await postEvents([click(a, "shared-id"), click(b, "shared-id")])).json<EventsBody>();
    expect(body.results.map((r) => r.status)).toEqual(["accepted", "accepted"]);
    const again = await (await postEvents([click(b, "shared-id"), click(a, "shared-id")])).json<EventsBody>();
    expect(again.results.map((r) => [r.userId, r.status])).toEqual([
      [b, "duplicate"],
      [a, "duplicate"],
    ]);
    expect([await storedEventCount(a), await storedEventCount(b)]).toEqual([1, 1]);
  });

  it("answers retry_later for the events of a user whose Durable Object fails, stores the others, and takes the retry", async () => {
    const [ok, victim] = [freshUser(), freshUser()];
    const batch = [click(ok, `${ok}-1`), click(victim, `${victim}-1`), click(ok, `${ok}-2`, "m2"), click(victim, `${victim}-2`, "m2")];
    const res = await postEventsWith(batch, { USER_SESSION: sessionsFailingFor(victim) });
    expect(res.status).toBe(200);
    const body = await res.json<EventsBody>();
    expect(body.results.map((r) => r.status)).toEqual(["accepted", "retry_later", "accepted", "retry_later"]);
    expect(body.results[1]).toMatchObject({ eventId: `${victim}-1`, userId: victim, code: "session_unavailable" });
    expect(body.accepted).toEqual([`${ok}-1`, `${ok}-2`]);
    expect(Object.keys(body.sessions)).toEqual([ok]);
    expect([await storedEventCount(ok), await storedEventCount(victim)]).toEqual([2, 0]);

    // The client resends exactly what failed; a whole resend is as safe (the stored ones are duplicates).
    const retry = await (await postEvents(batch)).json<EventsBody>();
    expect(retry.results.map((r) => r.status)).toEqual(["duplicate", "accepted", "duplicate", "accepted"]);
    expect([await storedEventCount(ok), await storedEventCount(victim)]).toEqual([2, 2]);
  });

  it("checks items against the rows it last read while D1 fails: those events are stored, the rest wait (retry_later), never a 5xx for the batch", async () => {
    const user = freshUser();
    // This isolate reads m3's row now; "m-never-read" it has never read (nor does the catalog have it).
    expect((await postEvents([click(user, `${user}-0`, "m3")])).status).toBe(200);
    await expectStoredThenWaiting(await postEventsWithoutD1([click(user, `${user}-1`, "m3"), click(user, `${user}-2`, "m-never-read")]));
    expect(await storedEventCount(user)).toBe(2);

    // Only never-read items: nothing can be stored, so 503 with the results; nothing is written.
    const waiting = await postEventsWithoutD1([click(user, `${user}-3`, "m-never-read")]);
    expect(waiting.status).toBe(503);
    const refused = await waiting.json<ErrorBody>();
    expect(refused.error.code).toBe("dependency_unavailable");
    expect(refused.error.results?.map((r) => [r.status, r.code])).toEqual([["retry_later", "catalog_unavailable"]]);
    expect(await storedEventCount(user)).toBe(2);

    // With D1 back, the catalog decides again: the made-up item is rejected, not kept waiting.
    const back = await (await postEvents([click(user, `${user}-3`, "m-never-read")])).json<ErrorBody>();
    expect(back.error.results?.map((r) => [r.status, r.code])).toEqual([["rejected", "unknown_item"]]);
  });

  it("while D1 fails, also takes events for items the live index holds, which this isolate never read from D1", async () => {
    await publishFunnelIndex("v-events-no-d1");
    const indexed = funnelCatalog().at(-1)!.itemId;
    const user = freshUser();
    await expectStoredThenWaiting(await postEventsWithoutD1([click(user, `${user}-1`, indexed), click(user, `${user}-2`, "m-not-indexed")]));
    expect(await storedEventCount(user)).toBe(1);
  });

  it("answers 503 with the per-event results when no event could be stored, never 500", async () => {
    const victim = freshUser();
    const res = await postEventsWith([click(victim, `${victim}-1`)], { USER_SESSION: sessionsFailingFor(victim) });
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("1");
    const body = await res.json<ErrorBody>();
    expect(body.error.code).toBe("dependency_unavailable");
    expect(body.error.results).toEqual([
      { index: 0, eventId: `${victim}-1`, userId: victim, status: "retry_later", code: "session_unavailable", message: expect.any(String) },
    ]);
    expect(await storedEventCount(victim)).toBe(0);
  });

  it("keeps an id idempotent for exactly the horizon after its first receipt", async () => {
    const user = freshUser();
    await postEvents([click(user, "inside"), click(user, "outside")]);
    await ageEventId(user, "inside", EVENT_ID_HORIZON_MS - 60_000);
    await ageEventId(user, "outside", EVENT_ID_HORIZON_MS + 1);
    const body = await (await postEvents([click(user, "inside"), click(user, "outside")])).json<EventsBody>();
    expect(body.results.map((r) => r.status)).toEqual(["duplicate", "accepted"]);
    // Past the horizon the resent id is a new event: it replaces the stored copy, not a second row.
    expect(await storedEventCount(user)).toBe(2);
    expect((await (await postEvents([click(user, "outside")])).json<EventsBody>()).results[0]!.status).toBe("duplicate");
  });

  it("rejects a user's id repeated within one batch after its first occurrence; refuses empty and oversized batches whole", async () => {
    const user = freshUser();
    const dup = await postEvents([click(user, "same"), click(user, "same", "m2")]);
    expect(dup.status).toBe(200);
    expect((await dup.json<EventsBody>()).results[1]).toMatchObject({ index: 1, status: "rejected", code: "duplicate_in_batch", field: "eventId" });
    expect(await storedEventCount(user)).toBe(1);
    const other = freshUser();
    expect((await postEvents([])).status).toBe(400);
    const tooMany = Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, (_, i) => click(other, `${other}-${i}`));
    const big = await postEvents(tooMany);
    expect(big.status).toBe(400);
    expect((await big.json<ErrorBody>()).error.field).toBe("events");
    expect(await storedEventCount(other)).toBe(0);
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

  it("keeps at most the configured number of events per session, oldest evicted first, and the evicted ids idempotent", async () => {
    const { MAX_SESSION_EVENTS } = await import("../../worker/src/session/schema");
    const user = freshUser();
    for (let start = 0; start < MAX_SESSION_EVENTS + 100; start += MAX_EVENTS_PER_BATCH) {
      const batch = Array.from({ length: MAX_EVENTS_PER_BATCH }, (_, i) => click(user, `${user}-${start + i}`, `m${(start + i) % 30}`));
      expect((await postEvents(batch)).status).toBe(200);
    }
    expect(await storedEventCount(user)).toBe(MAX_SESSION_EVENTS);
    // The first id left the session's events long ago, but not the horizon: it still counts once.
    const resent = await (await postEvents([click(user, `${user}-0`, "m0")])).json<EventsBody>();
    expect(resent.results[0]!.status).toBe("duplicate");
    expect(await storedEventCount(user)).toBe(MAX_SESSION_EVENTS);
  });
});
