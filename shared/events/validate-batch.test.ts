import { describe, expect, it } from "vitest";
import { MAX_EVENTS_PER_BATCH, MAX_FUTURE_SKEW_MS } from "./event";
import { validateEventBatch } from "./validate-batch";

const NOW = Date.UTC(2026, 10, 21, 12);
const base = { eventId: "e1", userId: "u1", itemId: "i1", type: "click", timestamp: NOW - 1000 };

/** The first event's problem when the batch is refused, else the problems of events rejected one by one. */
function problemOf(events: unknown[]) {
  const result = validateEventBatch({ events }, NOW);
  if (!result.ok) return result.problem;
  return result.rejected[0] ?? null;
}

describe("validateEventBatch", () => {
  it("normalizes valid events of every shape", () => {
    const result = validateEventBatch(
      {
        events: [
          base,
          { ...base, eventId: "e2", type: "rating", value: 0.5, timestamp: "2026-11-21T11:00:00Z" },
          { ...base, eventId: "e3", type: "watch", seconds: 0, surface: "up_next", impressionId: "imp-1", context: { page: "home" } },
          { ...base, eventId: "e4", type: "purchase", timestamp: "2026-11-21T11:00:00.123+02:00" },
        ],
      },
      NOW,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.events.map((e) => e.index)).toEqual([0, 1, 2, 3]);
    expect(result.events[1]!.event).toEqual({ eventId: "e2", userId: "u1", itemId: "i1", type: "rating", value: 0.5, timestampMs: Date.UTC(2026, 10, 21, 11) });
    expect(result.events[2]!.event).toMatchObject({ seconds: 0, surface: "up_next", impressionId: "imp-1", context: { page: "home" } });
    expect(result.events[3]!.event.timestampMs).toBe(Date.UTC(2026, 10, 21, 9, 0, 0, 123));
  });

  it("accepts a timestamp just inside the skew allowance and rejects one just outside", () => {
    expect(problemOf([{ ...base, timestamp: NOW + MAX_FUTURE_SKEW_MS }])).toBeNull();
    expect(problemOf([{ ...base, timestamp: NOW + MAX_FUTURE_SKEW_MS + 1 }])).toMatchObject({ field: "timestamp" });
  });

  it.each([
    [{ ...base, eventId: "" }, "eventId"],
    [{ ...base, userId: "x".repeat(129) }, "userId"],
    [{ ...base, itemId: "a/b" }, "itemId"],
    [{ ...base, type: "CLICK" }, "type"],
    [{ ...base, timestamp: 1.5 }, "timestamp"],
    [{ ...base, timestamp: "2026-11-21" }, "timestamp"],
    [{ ...base, timestamp: Date.UTC(1999, 11, 31) }, "timestamp"],
    [{ ...base, type: "rating", value: 5.01 }, "value"],
    [{ ...base, type: "rating", value: Number.NaN }, "value"],
    [{ ...base, value: 3 }, "value"],
    [{ ...base, type: "watch" }, "seconds"],
    [{ ...base, seconds: 3 }, "seconds"],
    [{ ...base, surface: "Home Page" }, "surface"],
    [{ ...base, impressionId: 7 }, "impressionId"],
    [{ ...base, context: { "bad key": "x" } }, "context"],
    [{ ...base, context: { k: 1 } }, "context"],
    [{ ...base, extra: true }, "extra"],
    ["not an object", ""],
  ])("rejects %j on field %s, alone: the valid events of its batch go on", (event, field) => {
    const result = validateEventBatch({ events: [{ ...base, eventId: "first" }, event] }, NOW);
    expect(result).toMatchObject({ ok: true, rejected: [{ index: 1, field, code: "invalid_event" }] });
    if (result.ok) expect(result.events.map((e) => e.event.eventId)).toEqual(["first"]);
    expect(validateEventBatch({ events: [event] }, NOW)).toMatchObject({ ok: false, problem: { index: 0, field } });
  });

  it.each([
    // Each would roll over to a time before NOW (2026-11-21T12:00Z), which Date.parse gives without a word.
    ["2026-09-31T00:00:00Z", "day 31 does not exist in 2026-09, which has 30 days"],
    ["2026-02-29T12:00:00Z", "day 29 does not exist in 2026-02, which has 28 days"],
    ["2026-11-20T24:00:00+01:00", "hour 24 does not exist (00-23; midnight is 00:00 of the next day)"],
    ["2026-11-20T23:60Z", "minute 60 does not exist (00-59)"],
    ["2025-12-31T23:59:60Z", "second 60 does not exist (00-59; a leap second has no epoch time)"],
    ["2026-09-31T00:00:00", "day 31 does not exist in 2026-09, which has 30 days"],
  ])("refuses the impossible date-time %s, naming what does not exist, instead of rolling it over", (timestamp, problem) => {
    expect(problemOf([{ ...base, timestamp }])).toEqual({ index: 0, field: "timestamp", reason: `"${timestamp}" is not a real date-time: ${problem}` });
  });

  it("takes 29 February in leap years and the last second of a day", () => {
    const at = (timestamp: string) => {
      const result = validateEventBatch({ events: [{ ...base, timestamp }] }, NOW);
      return result.ok ? result.events[0]!.event.timestampMs : result.problem;
    };
    expect(at("2024-02-29T12:00:00Z")).toBe(Date.UTC(2024, 1, 29, 12));
    expect(at("2000-02-29T12:00:00+01:00")).toBe(Date.UTC(2000, 1, 29, 11));
    expect(at("2026-11-20T23:59:59.999Z")).toBe(Date.UTC(2026, 10, 20, 23, 59, 59, 999));
  });

  // JSON.parse makes "__proto__" an own key like any other; none of these names is a field of an event.
  it.each(["__proto__", "constructor", "__defineGetter__", "hasOwnProperty", "isPrototypeOf", "valueOf", "toString"])(
    "rejects a field named %s, as Object.prototype names one, as an unknown field",
    (key) => {
      const event: unknown = JSON.parse(`{"${key}":1,${JSON.stringify({ ...base, eventId: "e2" }).slice(1)}`);
      expect(Object.keys(event as object)).toContain(key);
      const reason = "unknown field";
      expect(validateEventBatch({ events: [base, event] }, NOW)).toMatchObject({
        ok: true,
        rejected: [{ index: 1, field: key, reason, code: "invalid_event" }],
      });
      expect(validateEventBatch({ events: [event] }, NOW)).toEqual({
        ok: false,
        problem: { index: 0, field: key, reason },
        rejected: [{ index: 0, field: key, reason, code: "invalid_event" }],
      });
    },
  );

  it("scopes event ids to their user: a repeat for the same user is rejected, another user's same id is not", () => {
    const result = validateEventBatch({ events: [base, { ...base, userId: "u2" }, { ...base, itemId: "i2" }] }, NOW);
    expect(result).toMatchObject({ ok: true, rejected: [{ index: 2, field: "eventId", code: "duplicate_in_batch" }] });
    if (result.ok) expect(result.events.map((e) => e.index)).toEqual([0, 1]);
  });

  it("rejects malformed batches as a whole", () => {
    expect(validateEventBatch(null, NOW)).toMatchObject({ ok: false, problem: { index: -1, field: "events" } });
    expect(validateEventBatch({ events: {} }, NOW)).toMatchObject({ ok: false, problem: { field: "events" } });
    expect(validateEventBatch({ events: [base], more: 1 }, NOW)).toMatchObject({ ok: false, problem: { field: "more" } });
    expect(validateEventBatch({ events: [] }, NOW)).toMatchObject({ ok: false, problem: { field: "events" } });
    const tooMany = Array.from({ length: MAX_EVENTS_PER_BATCH + 1 }, (_, i) => ({ ...base, eventId: `e${i}` }));
    expect(validateEventBatch({ events: tooMany }, NOW)).toMatchObject({ ok: false, problem: { field: "events" } });
    expect(validateEventBatch({ events: [{ ...base, type: "hover" }, base, base] }, NOW)).toMatchObject({ ok: true, rejected: [{ index: 0 }, { index: 2 }] });
    expect(
      validateEventBatch(
        {
          events: [
            { ...base, type: "hover" },
            { ...base, eventId: "" },
          ],
        },
        NOW,
      ),
    ).toMatchObject({
      ok: false,
      problem: { index: 0, field: "type" },
    });
  });
});
