import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { signUserToken } from "../../shared/auth/user-token";
import { parseAuthConfig } from "../../worker/src/auth/auth-config";
import { verifyTokenMemoized } from "../../worker/src/auth/verified-tokens";
import { adminCall, browserCall, call, freshUser, jsonInit, publishDemo, rawCall, userToken } from "./fixtures";
import { TEST_AUTH, TEST_LIMITS } from "./test-auth";

interface ErrorBody {
  error: { code: string; message: string; requestId: string; reason?: string };
}

const stubOf = (userId: string) => env.USER_SESSION.get(env.USER_SESSION.idFromName(userId));
const click = (userId: string, eventId: string, itemId = "m1", timestamp = Date.now() - 1000) => ({ eventId, userId, itemId, type: "click", timestamp });
const events = (list: unknown[]) => jsonInit("POST", { events: list });

async function expectError(pending: Promise<Response>, status: number, code: string): Promise<ErrorBody> {
  const res = await pending;
  const body = await res.json<ErrorBody>();
  expect({ status: res.status, code: body.error?.code }).toEqual({ status, code });
  expect(body.error.requestId).toBe(res.headers.get("X-Request-Id"));
  return body;
}

/** The victim's stored state: what no refused request may change. */
async function stateOf(userId: string) {
  const stub = stubOf(userId);
  return { events: await stub.eventIds(), impressions: await stub.impressionCounts(), profile: await stub.profile(), version: await stub.version() };
}

/** Waits until the user's impression counts stop changing (they are recorded after the response). */
async function settledImpressions(userId: string): Promise<Record<string, number>> {
  let last = JSON.stringify(await stubOf(userId).impressionCounts());
  for (let i = 0; i < 200; i++) {
    await new Promise((r) => setTimeout(r, 25));
    const now = JSON.stringify(await stubOf(userId).impressionCounts());
    if (now === last && now !== "{}") break;
    last = now;
  }
  return JSON.parse(last) as Record<string, number>;
}

describe("keys and user tokens", () => {
  let victim: string;
  beforeAll(async () => {
    await publishDemo("v-auth");
    victim = freshUser();
    const token = await userToken(victim);
    expect((await browserCall("/v1/events", events([click(victim, `${victim}-1`, "m1"), click(victim, `${victim}-2`, "m3")]), token)).status).toBe(200);
    expect((await browserCall(`/v1/users/${victim}`, jsonInit("PUT", { categories: ["Comedy"] }), token)).status).toBe(200);
  });

  it("refuses every API route without a key", async () => {
    for (const [method, path] of [
      ["GET", `/v1/recommendations?user_id=${victim}`],
      ["GET", "/v1/trending?region=global"],
      ["GET", "/v1/items/m1"],
      ["GET", "/v1/items/m1/similar"],
      ["POST", "/v1/events"],
      ["PUT", `/v1/users/${victim}`],
      ["DELETE", `/v1/users/${victim}`],
      ["POST", "/v1/anonymous"],
      ["GET", "/health"],
      ["GET", "/admin/index/current"],
    ] as const) {
      await expectError(rawCall(path, { method }), 401, "unauthorized");
    }
    expect((await rawCall("/health/live")).status).toBe(200);
  });

  it("takes a publishable key only from its own origins", async () => {
    const path = "/v1/trending?region=global";
    expect((await browserCall(path)).status).toBe(200);
    await expectError(browserCall(path, { headers: { Origin: "https://evil.example" } }), 403, "origin_not_allowed");
    await expectError(browserCall(path, { headers: { Origin: "null" } }), 403, "origin_not_allowed");
    await expectError(rawCall(path, { headers: { "X-Api-Key": TEST_AUTH.publishableKey } }), 403, "origin_not_allowed");
    await expectError(rawCall(path, { headers: { "X-Api-Key": "pk_revoked", Origin: TEST_AUTH.origin } }), 401, "invalid_api_key");
  });

  it("takes a same-origin browser GET, which carries no Origin, as coming from the request's own origin", async () => {
    const path = "/v1/trending?region=global";
    const onSite = (site: string, url = `${TEST_AUTH.origin}${path}`) =>
      exports.default.fetch(new Request(url, { headers: { "X-Api-Key": TEST_AUTH.publishableKey, "Sec-Fetch-Site": site } }));
    expect((await onSite("same-origin")).status).toBe(200);
    // The Worker's own origin must be one of the key's: recs.test is not.
    await expectError(rawCall(path, { headers: { "X-Api-Key": TEST_AUTH.publishableKey, "Sec-Fetch-Site": "same-origin" } }), 403, "origin_not_allowed");
    for (const site of ["cross-site", "same-site", "none"]) await expectError(onSite(site), 403, "origin_not_allowed");
    // An Origin header, when sent, is what counts.
    await expectError(
      exports.default.fetch(
        new Request(`${TEST_AUTH.origin}${path}`, {
          headers: { "X-Api-Key": TEST_AUTH.publishableKey, "Sec-Fetch-Site": "same-origin", Origin: "https://evil.example" },
        }),
      ),
      403,
      "origin_not_allowed",
    );
  });

  it("serves a personalized list only to the user's own token, or a secret key", async () => {
    const path = `/v1/recommendations?user_id=${victim}&limit=5`;
    await expectError(browserCall(path), 401, "token_required");
    await expectError(browserCall(path, {}, await userToken(freshUser())), 403, "forbidden");
    expect((await browserCall(path, {}, await userToken(victim))).status).toBe(200);
    expect((await call(path)).status).toBe(200);
  });

  it("refuses expired, forged, foreign and long-lived tokens, saying why", async () => {
    const path = `/v1/recommendations?user_id=${victim}&limit=5`;
    const cases: [Promise<string>, string][] = [
      [userToken(victim, { expiresInS: -60 }), "expired"],
      [userToken(victim, { secret: "an-attacker-guessed-this-secret-0123456789" }), "bad_signature"],
      [userToken(victim, { audience: "another-service" }), "wrong_audience"],
      [userToken(victim, { kid: "t9" }), "unknown_key"],
      [userToken(victim, { expiresInS: 7 * 86_400 }), "lifetime_too_long"],
      [Promise.resolve("not.a.token"), "malformed"],
    ];
    for (const [token, reason] of cases) {
      const body = await expectError(browserCall(path, {}, await token), 401, "invalid_token");
      expect(body.error.reason).toBe(reason);
    }
    // A token the Worker issued for an anonymous id is not a token for anyone else either.
    const anon = await (await browserCall("/v1/anonymous", { method: "POST", headers: { "CF-Connecting-IP": "198.51.100.1" } })).json<{ token: string }>();
    await expectError(browserCall(path, {}, anon.token), 403, "forbidden");
  });

  it("keeps every refused attempt from writing: events, profile, erasure, impressions", async () => {
    const before = await stateOf(victim);
    const attacker = freshUser();
    const attackerToken = await userToken(attacker);
    // Impersonation inside a batch: the attacker's own event does not carry the victim's along.
    await expectError(
      browserCall("/v1/events", events([click(attacker, `${attacker}-1`), click(victim, `${attacker}-2`, "m5")]), attackerToken),
      403,
      "forbidden",
    );
    await expectError(browserCall("/v1/events", events([click(victim, `${attacker}-3`, "m5")])), 401, "token_required");
    await expectError(browserCall(`/v1/users/${victim}`, jsonInit("PUT", { categories: ["Drama"] }), attackerToken), 403, "forbidden");
    await expectError(browserCall(`/v1/users/${victim}`, { method: "DELETE" }, attackerToken), 403, "forbidden");
    await expectError(
      rawCall(`/v1/users/${victim}`, { method: "DELETE", headers: { "X-Api-Key": TEST_AUTH.publishableKey, Origin: "https://evil.example" } }),
      403,
      "origin_not_allowed",
    );
    // Reading someone's feed is refused, so it cannot frequency-cap them either.
    for (let i = 0; i < 9; i++) await expectError(browserCall(`/v1/recommendations?user_id=${victim}&limit=10`, {}, attackerToken), 403, "forbidden");
    await new Promise((r) => setTimeout(r, 100));
    expect(await stateOf(victim)).toEqual(before);
    expect(await stubOf(attacker).eventCount()).toBe(0);
  });

  it("refuses a whole batch that names another user, even in an event invalid otherwise, and stores none of it", async () => {
    const user = freshUser();
    const token = await userToken(user);
    const other = freshUser();
    const own = (n: number) => click(user, `${user}-${n}`);
    await expectError(browserCall("/v1/events", events([own(1), { ...click(other, `${other}-1`), type: "bogus" }]), token), 403, "forbidden");
    await expectError(browserCall("/v1/events", events([own(2), { ...click(other, `${other}-2`), timestamp: "yesterday" }]), token), 403, "forbidden");
    // A userId that is no valid id is still not the token's user.
    await expectError(browserCall("/v1/events", events([own(3), click("not a valid id", "x")]), token), 403, "forbidden");
    await expectError(browserCall("/v1/events", events([{ ...click(other, `${other}-3`), type: "bogus" }])), 401, "token_required");
    expect([await stubOf(user).eventIds(), await stubOf(other).eventIds()]).toEqual([[], []]);
    // The token's own invalid events are still rejected one by one.
    const res = await browserCall("/v1/events", events([own(4), { ...own(5), type: "bogus" }]), token);
    expect(res.status).toBe(200);
    expect(await stubOf(user).eventIds()).toEqual([`${user}-4`]);
  });

  it("records impressions for the token holder's own reads", async () => {
    const user = freshUser();
    const res = await browserCall(`/v1/recommendations?user_id=${user}&limit=3`, {}, await userToken(user));
    const shown = (await res.json<{ items: { itemId: string }[] }>()).items.map((i) => i.itemId);
    expect(Object.keys(await settledImpressions(user)).sort()).toEqual([...shown].sort());
  });

  it("lets a user write their own events and profile with their token, and delete themselves", async () => {
    const user = freshUser();
    const token = await userToken(user);
    expect((await browserCall("/v1/events", events([click(user, `${user}-1`)]), token)).status).toBe(200);
    expect((await browserCall(`/v1/users/${user}`, jsonInit("PUT", { region: "BR" }), token)).status).toBe(200);
    expect(await stubOf(user).eventCount()).toBe(1);
    expect((await browserCall(`/v1/users/${user}`, { method: "DELETE" }, token)).status).toBe(200);
    expect(await stubOf(user).eventCount()).toBe(0);
  });

  it("takes only secret keys on admin routes, any active one during a rotation", async () => {
    const current = (key: string) => rawCall("/admin/index/current", { headers: { Authorization: `Bearer ${key}` } });
    expect((await current(TEST_AUTH.secretKey)).status).toBe(200);
    expect((await current(TEST_AUTH.rotatedSecretKey)).status).toBe(200);
    await expectError(current("sk_retired-key"), 401, "unauthorized");
    await expectError(current(TEST_AUTH.publishableKey), 403, "forbidden");
    await expectError(current(await userToken(victim)), 403, "forbidden");
    await expectError(current("not-a-key"), 401, "unauthorized");
    await expectError(browserCall("/admin/index/current"), 403, "forbidden");
  });

  it("reads the credentials one way on API and admin routes alike", async () => {
    const both = (path: string, headers: Record<string, string>) => rawCall(path, { headers });
    for (const path of ["/admin/index/current", "/v1/trending"]) {
      // The scheme in any case (RFC 9110 §11.1).
      expect((await both(path, { Authorization: `bearer ${TEST_AUTH.secretKey}` })).status, path).toBe(200);
      expect((await both(path, { Authorization: `BEARER ${TEST_AUTH.secretKey}` })).status, path).toBe(200);
      // A secret key in X-Api-Key beside another Bearer: the secret key is what counts.
      expect((await both(path, { "X-Api-Key": TEST_AUTH.secretKey, Authorization: "Bearer junk" })).status, path).toBe(200);
      // Any Authorization that is not Bearer is refused, whatever else is sent.
      await expectError(both(path, { "X-Api-Key": TEST_AUTH.secretKey, Authorization: "Basic dXNlcjpwYXNz" }), 401, "unauthorized");
    }
  });

  it("refuses browser events that are backdated, and any event for an item not in the catalog", async () => {
    const user = freshUser();
    const token = await userToken(user);
    const old = await expectError(
      browserCall("/v1/events", events([click(user, `${user}-1`, "m1", Date.now() - 2 * 86_400_000)]), token),
      400,
      "invalid_event_batch",
    );
    expect(old.error.message).toContain("24 hours");
    // A server (secret key) may send older events.
    expect((await call("/v1/events", events([click(user, `${user}-2`, "m1", Date.now() - 2 * 86_400_000)]))).status).toBe(200);
    const made = await call("/v1/events", events([click(user, `${user}-3`, "m1"), click(user, `${user}-4`, "not-in-catalog")]));
    expect(made.status).toBe(200);
    expect((await made.json<{ results: unknown[] }>()).results).toEqual([
      { index: 0, eventId: `${user}-3`, userId: user, status: "accepted" },
      { index: 1, eventId: `${user}-4`, userId: user, status: "rejected", code: "unknown_item", field: "itemId", message: expect.any(String) },
    ]);
    expect(await stubOf(user).eventIds()).toEqual([`${user}-2`, `${user}-3`]);
    // An item added since (by another isolate: straight into D1, this isolate's memo untouched) is accepted at once.
    const fresh = `fresh-${user}`;
    await expectError(call("/v1/events", events([click(user, `${user}-5`, fresh)])), 400, "invalid_event_batch");
    await env.DB.prepare(
      `INSERT INTO items (item_id, title, categories, year, tags, available, blocked_regions, updated_at) VALUES (?, 'Fresh', '[]', 2026, '[]', 1, '[]', ?)`,
    )
      .bind(fresh, Date.now())
      .run();
    expect((await call("/v1/events", events([click(user, `${user}-6`, fresh)]))).status).toBe(200);
  });
});

describe("HTTP hardening", () => {
  it("answers a wrong method with 405 and the methods the path takes", async () => {
    const res = await call("/v1/events", { method: "GET" });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("POST");
    expect((await res.json<ErrorBody>()).error.code).toBe("method_not_allowed");
    const user = await call("/v1/users/someone", { method: "PATCH" });
    expect(user.status).toBe(405);
    expect(user.headers.get("Allow")).toBe("DELETE, PUT");
    expect((await call("/v1/nothing-here")).status).toBe(404);
    // A trailing slash names no route (routes match exactly): a 404 that says so, not a 405 naming the same method.
    for (const [method, path, route] of [
      ["GET", "/v1/trending/", "/v1/trending"],
      ["POST", "/v1/events/", "/v1/events"],
      ["GET", "/v1/events/", "/v1/events"],
    ] as const) {
      const slash = await expectError(
        call(path, { method, ...(method === "POST" ? { headers: { "Content-Type": "application/json" }, body: "{}" } : {}) }),
        404,
        "not_found",
      );
      expect(slash.error.message).toBe(`no route for ${method} ${path}: drop the trailing slash (${route})`);
    }
  });

  it("refuses a body that is not UTF-8, or spells half a surrogate pair, and stores nothing", async () => {
    const user = freshUser();
    const put = (body: BodyInit) => call(`/v1/users/${user}`, { method: "PUT", headers: { "Content-Type": "application/json" }, body });
    const latin1 = new Uint8Array([...new TextEncoder().encode('{"categories":["'), 0xff, 0xfe, ...new TextEncoder().encode('"]}')]);
    expect((await expectError(put(latin1), 400, "invalid_json")).error.message).toContain("not valid UTF-8");
    expect((await expectError(put('{"categories":["\\ud800"]}'), 400, "invalid_json")).error.message).toContain("half a surrogate pair");
    expect(await stubOf(user).profile()).toEqual({ region: null, categories: [] });
    // A whole pair (an emoji spelt as two escapes) is a character like any other.
    const whole = await put('{"categories":["\\ud83c\\udfac"]}');
    expect(whole.status).toBe(200);
    expect(await whole.json()).toMatchObject({ profile: { categories: ["\u{1F3AC}"] } });
  });

  it("refuses a body over the limit on every route with 413, before reading it", async () => {
    const big = "x".repeat(1024 * 1024 + 1);
    for (const [method, path] of [
      ["PUT", "/v1/users/u1"],
      ["POST", "/v1/events"],
      ["POST", "/admin/catalog/items"],
      ["POST", "/v1/users/u1/merge"],
    ] as const) {
      const res = await call(path, { method, headers: { "Content-Type": "application/json" }, body: big });
      expect(res.status, path).toBe(413);
      expect((await res.json<ErrorBody>()).error.code).toBe("payload_too_large");
    }
  });

  it("sends security headers on every answer", async () => {
    for (const res of [await rawCall("/health/live"), await call("/v1/items/nope"), await rawCall("/v1/trending")]) {
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("X-Frame-Options")).toBe("DENY");
      expect(res.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
      expect(res.headers.get("Cross-Origin-Resource-Policy")).toBe("same-origin");
      expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
    }
  });

  it("does not show bindings on the public liveness route, and needs a secret key for the detailed one", async () => {
    expect(await (await rawCall("/health/live")).json()).toEqual({ status: "ok" });
    await expectError(browserCall("/health"), 403, "forbidden");
    expect((await adminCall("/health")).status).toBe(200);
  });
});

describe("rate limits", () => {
  // The limits count in fixed windows (60 s): a run that straddles a window's end may see up to twice a limit pass.
  it("answer 429 with Retry-After past the per-client limit, for that client only", async () => {
    // The cheapest request the limit counts: authenticated, then refused by validation.
    const flood = (ip: string) => browserCall("/v1/trending?limit=0", { headers: { "CF-Connecting-IP": ip } });
    let refused: Response | undefined;
    let allowed = 0;
    while (!refused && allowed < 2 * TEST_LIMITS.client + 20) {
      for (const res of await Promise.all(Array.from({ length: 10 }, () => flood("203.0.113.7")))) {
        if (res.status === 429) refused ??= res;
        else allowed++;
      }
    }
    expect(refused, `no 429 after ${allowed} requests`).toBeDefined();
    expect(allowed).toBeGreaterThanOrEqual(TEST_LIMITS.client);
    expect(Number(refused!.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect((await refused!.json<ErrorBody>()).error.code).toBe("rate_limited");
    expect((await flood("203.0.113.8")).status).toBe(400);
  });

  it("issue few anonymous ids per client", async () => {
    const mint = () => browserCall("/v1/anonymous", { method: "POST", headers: { "CF-Connecting-IP": "203.0.113.20" } });
    let issued = 0;
    let status = 201;
    while (status === 201 && issued < 2 * TEST_LIMITS.anonymous + 5) {
      status = (await mint()).status;
      if (status === 201) issued++;
    }
    expect(status).toBe(429);
    expect(issued).toBeGreaterThanOrEqual(TEST_LIMITS.anonymous);
    expect(issued).toBeLessThanOrEqual(2 * TEST_LIMITS.anonymous);
  });

  it("cap event batches per user, storing nothing of a refused one", async () => {
    const user = freshUser();
    const token = await userToken(user);
    let accepted = 0;
    let status = 200;
    while (status === 200 && accepted < 2 * TEST_LIMITS.userEvents + 5) {
      status = (await browserCall("/v1/events", events([click(user, `${user}-${accepted}`)]), token)).status;
      if (status === 200) accepted++;
    }
    expect(status).toBe(429);
    expect(accepted).toBeGreaterThanOrEqual(TEST_LIMITS.userEvents);
    expect(await stubOf(user).eventCount()).toBe(accepted);
  });
});

describe("anonymous visitors", () => {
  it("get a signed id, are personalized under it, renew it, and merge into the user at login", async () => {
    const ip = { "CF-Connecting-IP": "198.51.100.30" };
    const issued = await browserCall("/v1/anonymous", { method: "POST", headers: ip });
    expect(issued.status).toBe(201);
    const anon = await issued.json<{ userId: string; token: string; expiresAt: string }>();
    expect(anon.userId).toMatch(/^anon_[A-Za-z0-9_-]{22}$/);
    expect(
      (await browserCall("/v1/events", events([click(anon.userId, `${anon.userId}-1`, "m4"), click(anon.userId, `${anon.userId}-2`, "m6")]), anon.token))
        .status,
    ).toBe(200);
    expect((await browserCall(`/v1/users/${anon.userId}`, jsonInit("PUT", { categories: ["Drama"] }), anon.token)).status).toBe(200);
    const renewed = await (await browserCall("/v1/anonymous", { method: "POST", headers: ip }, anon.token)).json<{ userId: string; renewed: boolean }>();
    expect(renewed).toMatchObject({ userId: anon.userId, renewed: true });

    const user = freshUser();
    const token = await userToken(user);
    // The user happens to use an event id the visitor used too: still two events.
    expect((await browserCall("/v1/events", events([click(user, `${anon.userId}-1`, "m1")]), token)).status).toBe(200);
    // Both proofs are needed: someone else's login cannot take the visitor's session, nor a forged anonymous token.
    const other = await userToken(freshUser());
    await expectError(browserCall(`/v1/users/${user}/merge`, jsonInit("POST", { anonymousToken: anon.token }), other), 403, "forbidden");
    const forged = await signUserToken(
      { sub: anon.userId, aud: TEST_AUTH.audience, exp: Math.floor(Date.now() / 1000) + 60, anon: true },
      { kid: TEST_AUTH.tokenKid, secret: "x".repeat(40) },
    );
    await expectError(browserCall(`/v1/users/${user}/merge`, jsonInit("POST", { anonymousToken: forged }), token), 401, "invalid_token");
    await expectError(browserCall(`/v1/users/${user}/merge`, jsonInit("POST", { anonymousToken: other }), token), 401, "invalid_token");
    // The anon mark on a real user's id, signed with the right secret: neither a 30-day token nor an anonymous one to merge.
    const marked = await signUserToken(
      { sub: `victim-${user}`, aud: TEST_AUTH.audience, exp: Math.floor(Date.now() / 1000) + 20 * 86_400, anon: true },
      { kid: TEST_AUTH.tokenKid, secret: TEST_AUTH.tokenSecret },
    );
    expect((await expectError(browserCall(`/v1/trending`, {}, marked), 401, "invalid_token")).error).toMatchObject({ reason: "anonymous_subject" });
    await expectError(browserCall(`/v1/users/${user}/merge`, jsonInit("POST", { anonymousToken: marked }), token), 401, "invalid_token");

    const merged = await browserCall(`/v1/users/${user}/merge`, jsonInit("POST", { anonymousToken: anon.token }), token);
    expect(merged.status).toBe(200);
    expect(await merged.json()).toMatchObject({ userId: user, mergedFrom: anon.userId, mergedEvents: 2, profileAdopted: true });
    // Event ids are each user's own: the visitor's join under ids prefixed with the anonymous id.
    expect(await stubOf(user).eventIds()).toEqual([`${anon.userId}-1`, `${anon.userId}:${anon.userId}-1`, `${anon.userId}:${anon.userId}-2`]);
    expect((await stubOf(user).profile()).categories).toEqual(["Drama"]);
    expect(await stubOf(anon.userId).eventCount()).toBe(0);
    // A repeated merge finds nothing left and changes nothing.
    const again = await (
      await browserCall(`/v1/users/${user}/merge`, jsonInit("POST", { anonymousToken: anon.token }), token)
    ).json<{ mergedEvents: number }>();
    expect(again.mergedEvents).toBe(0);
    expect(await stubOf(user).eventCount()).toBe(3);
    // The merged events now shape the user's list: seen items are left out.
    const list = await (await browserCall(`/v1/recommendations?user_id=${user}&limit=10`, {}, token)).json<{ items: { itemId: string }[] }>();
    expect(list.items.map((i) => i.itemId)).not.toContain("m4");
  });
});

describe("an expired anonymous token", () => {
  const anonymousToken = (userId: string, expiresInS: number, secret: string = TEST_AUTH.tokenSecret) => {
    const nowS = Math.floor(Date.now() / 1000);
    return signUserToken(
      { sub: userId, aud: TEST_AUTH.audience, exp: nowS + expiresInS, iat: nowS - 30 * 86_400, anon: true },
      { kid: TEST_AUTH.tokenKid, secret },
    );
  };

  it("is refused on POST /v1/anonymous with what to do there: call it again without the token for a new id", async () => {
    const ip = { "CF-Connecting-IP": "198.51.100.40" };
    const expired = await anonymousToken("anon_expiredVisitor0000000", -3600);
    const body = await expectError(browserCall("/v1/anonymous", { method: "POST", headers: ip }, expired), 401, "invalid_token");
    expect(body.error.reason).toBe("expired");
    expect(body.error.message).toBe(
      "the anonymous token has expired and can no longer be renewed: call POST /v1/anonymous without it (no Authorization header) for a new anonymous id; renew before expiresAt to keep the same id",
    );
    expect(body.error.message).not.toContain("backend");
    // Doing what it says works, and gives another id: an expired id is not renewed.
    const fresh = await browserCall("/v1/anonymous", { method: "POST", headers: ip });
    expect(fresh.status).toBe(201);
    expect((await fresh.json<{ userId: string }>()).userId).not.toBe("anon_expiredVisitor0000000");
  });

  it("keeps every other check: a forged one is a bad signature; a backend's expired token still says to ask the backend", async () => {
    const forged = await anonymousToken("anon_expiredVisitor0000000", -3600, "an-attacker-guessed-this-secret-0123456789");
    const ip = { "CF-Connecting-IP": "198.51.100.41" };
    expect((await expectError(browserCall("/v1/anonymous", { method: "POST", headers: ip }, forged), 401, "invalid_token")).error.reason).toBe("bad_signature");
    const backend = await userToken(freshUser(), { expiresInS: -60 });
    const body = await expectError(browserCall("/v1/anonymous", { method: "POST", headers: ip }, backend), 401, "invalid_token");
    expect(body.error).toMatchObject({ reason: "expired", message: "the token has expired; ask your backend for a new one" });
  });

  it("is refused by merge with the same advice, naming anonymousToken", async () => {
    const user = freshUser();
    const expired = await anonymousToken("anon_expiredVisitor0000001", -3600);
    const body = await expectError(
      browserCall(`/v1/users/${user}/merge`, jsonInit("POST", { anonymousToken: expired }), await userToken(user)),
      401,
      "invalid_token",
    );
    expect(body.error).toMatchObject({ reason: "expired", field: "anonymousToken" });
    expect(body.error.message).toContain("call POST /v1/anonymous without it");
  });
});

describe("the credentials configuration", () => {
  it("leaves out, and names, every entry that would weaken it", () => {
    const config = parseAuthConfig({
      SECRET_KEY_HASHES: `${"ab".repeat(32)}, not-a-digest`,
      USER_TOKEN_SECRETS: "k1:short,k2:" + "s".repeat(32) + ",nokid",
      PUBLISHABLE_KEYS: JSON.stringify({
        pk_a: ["https://a.example", "*", "null", "http://b.example:8080", "https://c.example/path"],
        sk_wrong: ["https://x.example"],
      }),
      TOKEN_AUDIENCE: "",
    });
    expect(config.secretKeyHashes).toHaveLength(1);
    expect(config.tokenKeys.map((k) => k.kid)).toEqual(["k2"]);
    expect([...config.publishableKeys.keys()]).toEqual(["pk_a"]);
    expect([...config.allowedOrigins].sort()).toEqual(["http://b.example:8080", "https://a.example"]);
    expect(config.audience).toBe("edge-recommender");
    expect(config.problems).toHaveLength(5);
    expect(parseAuthConfig({ SECRET_KEY_HASHES: "", USER_TOKEN_SECRETS: "", PUBLISHABLE_KEYS: "{nope", TOKEN_AUDIENCE: "x" }).problems).toEqual([
      "PUBLISHABLE_KEYS is not JSON",
    ]);
  });
});

describe("the isolate's memo of verified tokens", () => {
  it("serves only the exact token that verified, until it expires, and forgets on a configuration change", async () => {
    const bindings = { SECRET_KEY_HASHES: "", USER_TOKEN_SECRETS: `k1:${"a".repeat(32)}`, PUBLISHABLE_KEYS: "{}", TOKEN_AUDIENCE: "memo" };
    const config = parseAuthConfig(bindings);
    const nowMs = Date.now();
    const exp = Math.floor(nowMs / 1000) + 60;
    const token = await signUserToken({ sub: "u1", aud: "memo", exp }, { kid: "k1", secret: "a".repeat(32) });
    expect((await verifyTokenMemoized(config, token, nowMs, 3600)).ok).toBe(true);
    expect((await verifyTokenMemoized(config, token, nowMs + 10_000, 3600)).ok).toBe(true);
    // Same header and claims, another signature: not the same token, so verified (and refused).
    const forged = `${token.slice(0, token.lastIndexOf(".") + 1)}${"A".repeat(43)}`;
    expect(await verifyTokenMemoized(config, forged, nowMs, 3600)).toMatchObject({ ok: false, problem: "bad_signature" });
    const late = await verifyTokenMemoized(config, token, nowMs + 100_000, 3600);
    expect(late).toMatchObject({ ok: false, problem: "expired" });
    // A rotation that removed k1: the remembered verification no longer counts.
    const rotated = parseAuthConfig({ ...bindings, USER_TOKEN_SECRETS: `k2:${"b".repeat(32)}` });
    expect(await verifyTokenMemoized(rotated, token, nowMs, 3600)).toMatchObject({ ok: false, problem: "unknown_key" });
  });
});
