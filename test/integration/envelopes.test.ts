import { beforeAll, describe, expect, it } from "vitest";
import * as v from "valibot";
import { ID_RULE } from "../../shared/ids";
import { anonymousResponse, catalogItemResponse, similarResponse, trendingResponse } from "../../worker/src/http/schemas/catalog-reads";
import { errorEnvelope } from "../../worker/src/http/schemas/common";
import { eventsResponse } from "../../worker/src/http/schemas/events";
import { recommendationsResponse } from "../../worker/src/http/schemas/recommendations";
import { eraseResponse, mergeBody, mergeError, mergeResponse, profileResponse } from "../../worker/src/http/schemas/users";
import { browserCall, call, freshUser, jsonInit, publishDemo, userToken } from "./fixtures";

/**
 * What clients are told for representative bad inputs of each route, word
 * for word: the codes, messages and fields the hand-written checks gave
 * before the routes validated with schemas. And every success answer
 * matches the schema the API reference documents for it.
 */
const json = (body: unknown) => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

async function refusal(res: Response) {
  const body = await res.json();
  expect(v.is(errorEnvelope, body)).toBe(true);
  const { requestId: _id, results: _results, ...rest } = (body as { error: Record<string, unknown> }).error;
  return { status: res.status, ...rest };
}

describe("refusals are unchanged by the schemas", () => {
  beforeAll(async () => {
    await publishDemo("v-envelopes");
  });

  it.each([
    ["limit=5", "user_id", `user_id is required: ${ID_RULE}`],
    ["user_id=a%20b", "user_id", `user_id must be ${ID_RULE}`],
    ["user_id=", "user_id", `user_id must be ${ID_RULE}`],
    ["user_id=u1&surface=feed", "surface", "surface must be one of: home, up_next, related"],
    ["user_id=u1&surface=up_next", "item_id", "surface up_next needs item_id: the item being watched or viewed"],
    ["user_id=u1&surface=related&limit=0", "item_id", "surface related needs item_id: the item being watched or viewed"],
    ["user_id=u1&item_id=a/b", "item_id", `item_id must be ${ID_RULE}`],
    ["user_id=u1&limit=0", "limit", "limit must be an integer from 1 to 50"],
    ["user_id=u1&limit=2.5&category=", "limit", "limit must be an integer from 1 to 50"],
    ["user_id=u1&category=", "category", "category must be 1-64 characters"],
    [
      `user_id=u1&exclude=${Array.from({ length: 101 }, (_, i) => `x${i}`).join(",")}`,
      "exclude",
      "exclude must be a comma-separated list of at most 100 item ids",
    ],
    ["user_id=u1&cursor=nope", "cursor", "cursor is not one this service issued; start again without it"],
  ])("GET /v1/recommendations?%s: 400 on %s", async (query, field, message) => {
    expect(await refusal(await call(`/v1/recommendations?${query}`))).toEqual({ status: 400, code: "invalid_request", message, field });
  });

  it.each([
    [{}, { index: -1, field: "events" }, 'batch field "events": body must be a JSON object with an array field "events"'],
    [[], { index: -1, field: "events" }, 'batch field "events": body must be a JSON object with an array field "events"'],
    [{ events: [], note: 1 }, { index: -1, field: "note" }, 'batch field "note": unknown field'],
    [{ events: [] }, { index: -1, field: "events" }, 'batch field "events": batch is empty'],
    [
      { events: [{ eventId: "e1", userId: "u1", itemId: "m1", type: "hover", timestamp: Date.now() }] },
      { index: 0, field: "type" },
      "events[0].type: must be one of view, click, like, dislike, watch, add_to_cart, purchase, rating, skip, share",
    ],
    [
      { events: [{ eventId: "e1", userId: "u1", itemId: "m1", type: "rating", timestamp: Date.now() }] },
      { index: 0, field: "value" },
      "events[0].value: a rating needs a value from 0.5 to 5",
    ],
    [{ events: [["e1"]] }, { index: 0, field: "" }, "events[0].: event must be a JSON object"],
    // "required" only for an absent field; a value of the wrong type is told the type expected and the type got.
    [
      { events: [{ eventId: "e1", itemId: "m1", type: "click", timestamp: Date.now() }] },
      { index: 0, field: "userId" },
      `events[0].userId: required; ${ID_RULE}`,
    ],
    [
      { events: [{ eventId: "e1", userId: 1, itemId: "m1", type: "click", timestamp: Date.now() }] },
      { index: 0, field: "userId" },
      `events[0].userId: expected a string (${ID_RULE}), got a number`,
    ],
    [
      { events: [{ eventId: "e1", userId: "u1", itemId: "a b", type: "click", timestamp: Date.now() }] },
      { index: 0, field: "itemId" },
      `events[0].itemId: must be ${ID_RULE}`,
    ],
    [
      { events: [{ eventId: "e1", userId: "u1", itemId: "m1", type: 3, timestamp: Date.now() }] },
      { index: 0, field: "type" },
      "events[0].type: expected a string (one of view, click, like, dislike, watch, add_to_cart, purchase, rating, skip, share), got a number",
    ],
    [
      { events: [{ eventId: "e1", userId: "u1", itemId: "m1", type: "click" }] },
      { index: 0, field: "timestamp" },
      "events[0].timestamp: required; epoch milliseconds or an ISO-8601 date-time with a zone",
    ],
    [
      { events: [{ eventId: "e1", userId: "u1", itemId: "m1", type: "click", timestamp: "2026-12-06T04:00:00" }] },
      { index: 0, field: "timestamp" },
      'events[0].timestamp: "2026-12-06T04:00:00" has no time zone: add Z for UTC or an offset such as +02:00',
    ],
    [
      { events: [{ eventId: "e1", userId: "u1", itemId: "m1", type: "click", timestamp: "yesterday" }] },
      { index: 0, field: "timestamp" },
      "events[0].timestamp: not an ISO-8601 date-time with a zone such as 2026-12-06T04:00:00Z",
    ],
    [
      { events: [{ eventId: "e1", userId: "u1", itemId: "m1", type: "click", timestamp: null }] },
      { index: 0, field: "timestamp" },
      "events[0].timestamp: expected epoch milliseconds (a number) or an ISO-8601 date-time (a string), got null",
    ],
    [
      { events: [{ eventId: "e1", userId: "u1", itemId: "m1", type: "click", timestamp: 1765000000 }] },
      { index: 0, field: "timestamp" },
      "events[0].timestamp: lies before 2000-01-01: timestamps are epoch milliseconds, and 1765000000 looks like epoch seconds (1765000000000 ms is 2025-12-06T05:46:40.000Z)",
    ],
    [
      { events: [{ eventId: "e1", userId: "u1", itemId: "m1", type: "click", timestamp: 86_400_000 }] },
      { index: 0, field: "timestamp" },
      "events[0].timestamp: lies before 2000-01-01",
    ],
  ])("POST /v1/events %j: 400 invalid_event_batch", async (body, where, reason) => {
    expect(await refusal(await call("/v1/events", json(body)))).toEqual({
      status: 400,
      code: "invalid_event_batch",
      message: `${reason}; nothing in the batch was stored`,
      ...where,
    });
  });

  it("POST /v1/events: 415 without JSON, 400 invalid_json", async () => {
    expect(await refusal(await call("/v1/events", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "{}" }))).toEqual({
      status: 415,
      code: "unsupported_media_type",
      message: "send the body as JSON with Content-Type: application/json",
    });
    expect(await refusal(await call("/v1/events", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{" }))).toEqual({
      status: 400,
      code: "invalid_json",
      message: "the body is not valid JSON",
    });
  });

  it.each([
    [{ language: "en", favourite: 1 }, "language", "language: not supported: the catalog has no language attribute to match a declared language against"],
    [{ region: "USA" }, "region", 'region: an ISO 3166-1 alpha-2 code such as "US"'],
    [{ region: "USA", categories: [""] }, "region", 'region: an ISO 3166-1 alpha-2 code such as "US"'],
    [{ categories: [""], favourite: 1 }, "favourite", "favourite: unknown field (allowed: region, categories)"],
    [{ categories: "Drama" }, "categories", "categories: an array of at most 32 category names (1-64 characters each)"],
    [{ categories: ["Drama", ""] }, "categories", "categories: an array of at most 32 category names (1-64 characters each)"],
    [["Drama"], undefined, "body: must be a JSON object"],
  ])("PUT /v1/users/:id %j: 400 naming the field at fault (%s), as events and recommendations do", async (body, field, problem) => {
    expect(await refusal(await call("/v1/users/u1", jsonInit("PUT", body)))).toEqual({
      status: 400,
      code: "invalid_request",
      message: `${problem}; the profile was not changed`,
      ...(field === undefined ? {} : { field }),
    });
  });

  it("checks the path's user and the caller's right to act for them before the body", async () => {
    expect(await refusal(await call("/v1/users/a%20b", jsonInit("PUT", { region: 5 })))).toEqual({
      status: 400,
      code: "invalid_request",
      message: `user id must be ${ID_RULE}`,
    });
    const token = await userToken(freshUser());
    expect(await refusal(await browserCall("/v1/users/someone-else", jsonInit("PUT", { region: 5 }), token))).toEqual({
      status: 403,
      code: "forbidden",
      message: "the user token is for another user",
    });
    expect(await refusal(await browserCall("/v1/users/someone-else/merge", json({}), token))).toMatchObject({ status: 403, code: "forbidden" });
  });

  it("POST /v1/users/:id/merge without a token in the body: 400 naming anonymousToken", async () => {
    for (const body of [{}, null]) {
      expect(await refusal(await call("/v1/users/u1/merge", json(body)))).toEqual({
        status: 400,
        code: "invalid_request",
        message: 'send {"anonymousToken": "<the visitor\'s anonymous token>"}',
        field: "anonymousToken",
      });
    }
    expect(await refusal(await call("/v1/users/u1/merge", json({ anonymousToken: 7 })))).toEqual({
      status: 400,
      code: "invalid_request",
      message: "anonymousToken: expected a string (the visitor's anonymous token), got a number",
      field: "anonymousToken",
    });
  });

  it("POST /v1/users/:id/merge with a field besides anonymousToken: 400 naming it, nothing merged", async () => {
    const user = freshUser();
    const anonymous = await (await browserCall("/v1/anonymous", { method: "POST" })).json<{ userId: string; token: string }>();
    const events = [{ eventId: `e-${anonymous.userId}`, userId: anonymous.userId, itemId: "m1", type: "click", timestamp: new Date().toISOString() }];
    expect((await browserCall("/v1/events", json({ events }), anonymous.token)).status).toBe(200);
    const token = await userToken(user);
    for (const body of [
      { anonymousToken: anonymous.token, x: 1 },
      { x: 1, anonymousToken: anonymous.token },
      JSON.parse(`{"anonymousToken": ${JSON.stringify(anonymous.token)}, "constructor": 1}`),
      JSON.parse(`{"__proto__": {}, "anonymousToken": ${JSON.stringify(anonymous.token)}}`),
      // The field is named before a problem of anonymousToken's, as when it was checked before the schema.
      { anonymousToken: 5, x: 1 },
    ]) {
      const extra = Object.keys(body).find((k) => k !== "anonymousToken")!;
      expect(await refusal(await browserCall(`/v1/users/${user}/merge`, json(body), token))).toEqual({
        status: 400,
        code: "invalid_request",
        message: `${extra}: unknown field; send {"anonymousToken": "<the visitor's anonymous token>"} only; nothing was merged`,
        field: extra,
      });
    }
    // The schema itself refuses the field (the document says additionalProperties: false), not a check beside it.
    const extra = v.safeParse(mergeBody, { anonymousToken: anonymous.token, x: 1 });
    expect(extra.success ? null : mergeError(extra.issues, null as never, { anonymousToken: anonymous.token, x: 1 }).message).toBe(
      'x: unknown field; send {"anonymousToken": "<the visitor\'s anonymous token>"} only; nothing was merged',
    );
    // Nothing was merged: the anonymous session still holds its event, and a merge as sent moves it.
    const merged = await browserCall(`/v1/users/${user}/merge`, json({ anonymousToken: anonymous.token }), token);
    expect(await merged.json()).toMatchObject({ mergedFrom: anonymous.userId, mergedEvents: 1 });
  });

  it("GET /v1/items/:id, /similar and /v1/trending", async () => {
    expect(await refusal(await call("/v1/items/a%20b"))).toEqual({ status: 400, code: "invalid_request", message: `item id must be ${ID_RULE}` });
    expect(await refusal(await call("/v1/items/a%20b/similar"))).toEqual({ status: 400, code: "invalid_request", message: `item id must be ${ID_RULE}` });
    expect(await refusal(await call("/v1/items/m1/similar?limit=101"))).toEqual({
      status: 400,
      code: "invalid_request",
      message: "limit must be an integer from 1 to 100",
    });
    expect(await refusal(await call("/v1/trending?region=usa&limit=0"))).toEqual({
      status: 400,
      code: "invalid_request",
      message: 'region must be a two-letter country code or "global"',
      field: "region",
    });
    expect(await refusal(await call("/v1/trending?region=US&limit=x"))).toEqual({
      status: 400,
      code: "invalid_request",
      message: "limit must be an integer from 1 to 100",
      field: "limit",
    });
  });
});

describe("answers match their documented schemas", () => {
  beforeAll(async () => {
    await publishDemo("v-envelopes");
  });

  const expectShape = async (schema: v.GenericSchema, res: Response) => {
    expect(res.status).toBeLessThan(300);
    const result = v.safeParse(schema, await res.json());
    expect(result.issues ?? []).toEqual([]);
  };

  it("for the /v1 routes", async () => {
    const user = freshUser();
    await expectShape(
      eventsResponse,
      await call("/v1/events", json({ events: [{ eventId: "s1", userId: user, itemId: "m1", type: "click", timestamp: Date.now() }] })),
    );
    await expectShape(recommendationsResponse, await call(`/v1/recommendations?user_id=${user}&limit=5`));
    await expectShape(recommendationsResponse, await call(`/v1/recommendations?user_id=${user}&surface=related&item_id=m1&limit=3`));
    await expectShape(trendingResponse, await call("/v1/trending?region=global"));
    await expectShape(catalogItemResponse, await call("/v1/items/m1"));
    await expectShape(similarResponse, await call("/v1/items/m1/similar?limit=3"));
    await expectShape(profileResponse, await call(`/v1/users/${user}`, jsonInit("PUT", { region: "br", categories: ["Drama"] })));
    const anonymous = await browserCall("/v1/anonymous", { method: "POST" });
    const visitor = (await anonymous.clone().json()) as { token: string };
    await expectShape(anonymousResponse, anonymous);
    await expectShape(mergeResponse, await call(`/v1/users/${user}/merge`, json({ anonymousToken: visitor.token })));
    await expectShape(eraseResponse, await call(`/v1/users/${user}`, { method: "DELETE" }));
  });
});
