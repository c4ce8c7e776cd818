import { describe, expect, inject, it } from "vitest";
import { experimentCounterKey, trendingKey, hourBucket } from "../../shared/online/redis-keys";
import { browserFetch, serverFetch, sharedCredentials, tokenFor } from "./client";
import { poll, redisClient, streamCounts } from "./stream-helpers";

/**
 * An attacker's script over HTTP against wrangler dev and a real Redis: a
 * page of their own holding the site's publishable key (it is public), a
 * token for an account of their own, and any number of made-up users.
 * Every attempt must be refused and the victim's data left as it was.
 */
const base = inject("baseUrl");
const credentials = sharedCredentials();
const server = serverFetch(credentials);
const browser = browserFetch(credentials);
const redis = redisClient(inject("redisUrl"), inject("redisToken"));
const stamp = Date.now();
const victim = `victim-${stamp}`;
const attacker = `attacker-${stamp}`;

const json = (method: string, body: unknown): RequestInit => ({ method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
const click = (userId: string, eventId: string, itemId: string, extra: Record<string, unknown> = {}) => ({
  eventId,
  userId,
  itemId,
  type: "click",
  timestamp: Date.now() - 1000,
  ...extra,
});
const errorCode = async (res: Response) => ({ status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code });

/** What the victim has, as the operator audits it. */
async function victimState() {
  const audit = (await (await server(`${base}/admin/users/${victim}/events`)).json()) as { eventIds: string[] };
  const list = (await (await server(`${base}/v1/recommendations?user_id=${victim}&limit=10`)).json()) as { sessionVersion: number };
  return { eventIds: audit.eventIds, sessionVersion: list.sessionVersion };
}

describe("an attacker's script", () => {
  it("cannot act as the victim: impersonation, profile, deletion, reading their feed", async () => {
    const victimToken = await tokenFor(credentials, victim);
    expect(
      (await browser(`${base}/v1/events`, json("POST", { events: [click(victim, `${victim}-1`, "1"), click(victim, `${victim}-2`, "260")] }), victimToken))
        .status,
    ).toBe(200);
    expect((await browser(`${base}/v1/users/${victim}`, json("PUT", { categories: ["Comedy"] }), victimToken)).status).toBe(200);
    const before = await victimState();
    const own = await tokenFor(credentials, attacker);

    const attempts: [string, Promise<Response>, number, string][] = [
      [
        "events for the victim with the attacker's token",
        browser(`${base}/v1/events`, json("POST", { events: [click(victim, `x-${stamp}-1`, "1")] }), own),
        403,
        "forbidden",
      ],
      [
        "events for the victim without a token",
        browser(`${base}/v1/events`, json("POST", { events: [click(victim, `x-${stamp}-2`, "1")] })),
        401,
        "token_required",
      ],
      ["events with no key at all", fetch(`${base}/v1/events`, json("POST", { events: [click(victim, `x-${stamp}-3`, "1")] })), 401, "unauthorized"],
      ["the victim's profile", browser(`${base}/v1/users/${victim}`, json("PUT", { categories: ["Horror"] }), own), 403, "forbidden"],
      ["deleting the victim", browser(`${base}/v1/users/${victim}`, { method: "DELETE" }, own), 403, "forbidden"],
      ["deleting the victim anonymously", fetch(`${base}/v1/users/${victim}`, { method: "DELETE" }), 401, "unauthorized"],
      ["the victim's feed", browser(`${base}/v1/recommendations?user_id=${victim}&limit=10`, {}, own), 403, "forbidden"],
      ["the victim's feed without a token", browser(`${base}/v1/recommendations?user_id=${victim}&limit=10`), 401, "token_required"],
      ["the victim's feed from an <img> tag", fetch(`${base}/v1/recommendations?user_id=${victim}&limit=10`), 401, "unauthorized"],
      ["an admin route with the publishable key", browser(`${base}/admin/users/${victim}/events`), 403, "forbidden"],
      ["the detailed health", fetch(`${base}/health`), 401, "unauthorized"],
    ];
    for (const [name, pending, status, code] of attempts) expect(await errorCode(await pending), name).toEqual({ status, code });
    // Nine reads of the victim's feed used to frequency-cap their top 10 away.
    for (let i = 0; i < 9; i++) await browser(`${base}/v1/recommendations?user_id=${victim}&limit=10`, {}, own);
    expect(await victimState()).toEqual(before);
    const stream = await streamCounts(redis);
    for (let n = 1; n <= 3; n++) expect(stream.has(`x-${stamp}-${n}`)).toBe(false);
  });

  it("cannot use expired, replayed-after-expiry, forged or foreign-audience tokens", async () => {
    const path = `${base}/v1/recommendations?user_id=${attacker}&limit=5`;
    const cases: [Promise<string>, string][] = [
      [tokenFor(credentials, attacker, -60), "expired"],
      [tokenFor(credentials, attacker, 600, { secret: "guessed-secret-guessed-secret-guessed" }), "bad_signature"],
      [tokenFor(credentials, attacker, 600, { audience: "some-other-service" }), "wrong_audience"],
      [tokenFor(credentials, attacker, 30 * 86_400), "lifetime_too_long"],
    ];
    for (const [token, reason] of cases) {
      const res = await browser(path, {}, await token);
      const body = (await res.json()) as { error: { code: string; reason: string } };
      expect({ status: res.status, code: body.error.code, reason: body.error.reason }).toEqual({ status: 401, code: "invalid_token", reason });
    }
    // A captured token re-signed for another subject is a forgery too: the signature covers the claims.
    const [head, , sig] = (await tokenFor(credentials, attacker)).split(".");
    const claims = Buffer.from(JSON.stringify({ sub: victim, aud: credentials.audience, exp: Math.floor(Date.now() / 1000) + 600 })).toString("base64url");
    const res = await browser(`${base}/v1/recommendations?user_id=${victim}&limit=5`, {}, `${head}.${claims}.${sig}`);
    expect(await errorCode(res)).toEqual({ status: 401, code: "invalid_token" });
  });

  it("cannot use the key from another origin, and browsers are told so by CORS", async () => {
    for (const origin of ["https://evil.example", "null"]) {
      const res = await browser(`${base}/v1/trending?region=global`, { headers: { Origin: origin } });
      expect(await errorCode(res)).toEqual({ status: 403, code: "origin_not_allowed" });
      const preflight = await fetch(`${base}/v1/events`, { method: "OPTIONS", headers: { Origin: origin, "Access-Control-Request-Method": "POST" } });
      expect(preflight.headers.get("Access-Control-Allow-Origin")).toBeNull();
    }
    const good = await fetch(`${base}/v1/events`, { method: "OPTIONS", headers: { Origin: credentials.origin, "Access-Control-Request-Method": "POST" } });
    expect(good.headers.get("Access-Control-Allow-Origin")).toBe(credentials.origin);
  });

  it("cannot poison trending with made-up users or items, nor inflate a variant with someone else's impression", async () => {
    const ip = { "CF-Connecting-IP": "192.0.2.50" };
    const target = "193585";
    const bucket = hourBucket(Date.now() - 1000);
    const score = async () => Number((await redis.zscore(trendingKey("global", bucket), target)) ?? 0);
    const before = await score();
    // Made-up users come from anonymous ids, issued a few per client.
    const minted: { userId: string; token: string }[] = [];
    let refused = 0;
    for (let i = 0; i < 30; i++) {
      const res = await browser(`${base}/v1/anonymous`, { method: "POST", headers: ip });
      if (res.status === 429) refused++;
      else minted.push((await res.json()) as { userId: string; token: string });
    }
    // 10 a minute per client; fixed windows, so a run across a window's end may get twice that.
    expect(minted.length).toBeLessThanOrEqual(20);
    expect(refused).toBeGreaterThanOrEqual(10);
    // Each clicks the target five times and an item that does not exist once.
    for (const [u, { userId, token }] of minted.entries()) {
      const clicks = Array.from({ length: 5 }, (_, n) => click(userId, `${userId}-${n}`, target));
      expect((await browser(`${base}/v1/events`, json("POST", { events: clicks }), token)).status, `user ${u}`).toBe(200);
      const fake = await browser(`${base}/v1/events`, json("POST", { events: [click(userId, `${userId}-fake`, "not-in-the-catalog")] }), token);
      expect(await errorCode(fake)).toEqual({ status: 400, code: "invalid_event_batch" });
    }
    expect(await score()).toBe(before + minted.length);
    expect(await redis.zscore(trendingKey("global", bucket), "not-in-the-catalog")).toBeNull();

    // The victim is shown a list; made-up users cite its impression id with purchases.
    const shown = (await (await browser(`${base}/v1/recommendations?user_id=${victim}&limit=5`, {}, await tokenFor(credentials, victim))).json()) as {
      impressionId: string;
      region: string;
      variant: string;
      items: { itemId: string }[];
    };
    await poll(
      () => redis.exists(`imp:${shown.impressionId}`),
      (n) => n === 1,
      5000,
    );
    const counter = experimentCounterKey(shown.variant, shown.region);
    const purchasesBefore = Number((await redis.hget(counter, "ev:purchase")) ?? 0);
    for (const { userId, token } of minted) {
      const purchase = { ...click(userId, `${userId}-buy`, shown.items[0]!.itemId, { impressionId: shown.impressionId }), type: "purchase" };
      expect((await browser(`${base}/v1/events`, json("POST", { events: [purchase] }), token)).status).toBe(200);
    }
    expect(Number((await redis.hget(counter, "ev:purchase")) ?? 0)).toBe(purchasesBefore);
    // The victim's own purchase through it counts, once however often it is sent.
    const own = await tokenFor(credentials, victim);
    for (const n of [1, 2]) {
      const purchase = { ...click(victim, `${victim}-buy-${n}`, shown.items[0]!.itemId, { impressionId: shown.impressionId }), type: "purchase" };
      expect((await browser(`${base}/v1/events`, json("POST", { events: [purchase] }), own)).status).toBe(200);
    }
    expect(Number((await redis.hget(counter, "ev:purchase")) ?? 0)).toBe(purchasesBefore + 1);
  });

  it("is slowed by a 429 with Retry-After when flooding, and other clients are not", async () => {
    // The cheapest request the limit counts: authenticated, then refused by validation.
    const flood = (ip: string) => browser(`${base}/v1/trending?limit=0`, { headers: { "CF-Connecting-IP": ip } });
    let first429: Response | undefined;
    let sent = 0;
    // Fixed 60 s windows: a flood that straddles a window's end may pass up to twice the limit.
    while (!first429 && sent < 2 * 300 + 40) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => flood("192.0.2.99")));
      sent += batch.length;
      first429 = batch.find((r) => r.status === 429);
    }
    expect(first429, `no 429 after ${sent} requests`).toBeDefined();
    expect(sent).toBeGreaterThan(300);
    expect(first429!.headers.get("Retry-After")).toBe("60");
    expect(await errorCode(first429!)).toEqual({ status: 429, code: "rate_limited" });
    expect((await flood("192.0.2.100")).status).toBe(400);
  });
});
