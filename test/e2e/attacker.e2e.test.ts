import { describe, expect, inject, it } from "vitest";
import { experimentCounterKey, trendingKey, hourBucket } from "../../shared/online/redis-keys";
import { type Answer, browserClient, keylessClient, serverClient, sharedCredentials, tokenFor } from "./client";
import { clearOfHourBoundary, click, poll, redisClient, streamCounts } from "./stream-helpers";

/**
 * An attacker's script over HTTP against wrangler dev and a real Redis: a
 * page of their own holding the site's publishable key (it is public), a
 * token for an account of their own, and any number of made-up users.
 * Every attempt must be refused and the victim's data left as it was.
 */
const base = inject("baseUrl");
const credentials = sharedCredentials();
const server = serverClient(credentials);
/** The site's publishable key from a page (its origin unless `headers` say otherwise), acting for `token`'s user when given. */
const browser = (token?: string, headers: Record<string, string> = {}) => browserClient(credentials, token, headers);
const anyone = keylessClient();
const redis = redisClient(inject("redisUrl"), inject("redisToken"));
const stamp = Date.now();
const victim = `victim-${stamp}`;
const attacker = `attacker-${stamp}`;

const errorCode = async (res: Answer) => ({ status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code });

/** What the victim has, as the operator audits it. */
async function victimState() {
  const audit = (await (await server.admin.users[":id"].events.$get({ param: { id: victim } })).json()) as { eventIds: string[] };
  const list = (await (await server.v1.recommendations.$get({ query: { user_id: victim, limit: "10" } })).json()) as { sessionVersion: number };
  return { eventIds: audit.eventIds, sessionVersion: list.sessionVersion };
}

describe("an attacker's script", () => {
  it("cannot act as the victim: impersonation, profile, deletion, reading their feed", async () => {
    const victimToken = await tokenFor(credentials, victim);
    expect(
      (await browser(victimToken).v1.events.$post({ json: { events: [click(victim, `${victim}-1`, "1"), click(victim, `${victim}-2`, "260")] } })).status,
    ).toBe(200);
    expect((await browser(victimToken).v1.users[":id"].$put({ param: { id: victim }, json: { categories: ["Comedy"] } })).status).toBe(200);
    const before = await victimState();
    const own = await tokenFor(credentials, attacker);

    const feed = { query: { user_id: victim, limit: "10" } };
    const attempts: [string, Promise<Answer>, number, string][] = [
      [
        "events for the victim with the attacker's token",
        browser(own).v1.events.$post({ json: { events: [click(victim, `x-${stamp}-1`, "1")] } }),
        403,
        "forbidden",
      ],
      ["events for the victim without a token", browser().v1.events.$post({ json: { events: [click(victim, `x-${stamp}-2`, "1")] } }), 401, "token_required"],
      ["events with no key at all", anyone.v1.events.$post({ json: { events: [click(victim, `x-${stamp}-3`, "1")] } }), 401, "unauthorized"],
      ["the victim's profile", browser(own).v1.users[":id"].$put({ param: { id: victim }, json: { categories: ["Horror"] } }), 403, "forbidden"],
      ["deleting the victim", browser(own).v1.users[":id"].$delete({ param: { id: victim } }), 403, "forbidden"],
      ["deleting the victim anonymously", anyone.v1.users[":id"].$delete({ param: { id: victim } }), 401, "unauthorized"],
      ["the victim's feed", browser(own).v1.recommendations.$get(feed), 403, "forbidden"],
      ["the victim's feed without a token", browser().v1.recommendations.$get(feed), 401, "token_required"],
      ["the victim's feed from an <img> tag", anyone.v1.recommendations.$get(feed), 401, "unauthorized"],
      ["an admin route with the publishable key", browser().admin.users[":id"].events.$get({ param: { id: victim } }), 403, "forbidden"],
      ["the detailed health", anyone.health.$get(), 401, "unauthorized"],
    ];
    for (const [name, pending, status, code] of attempts) expect(await errorCode(await pending), name).toEqual({ status, code });
    // Nine reads of the victim's feed used to frequency-cap their top 10 away.
    for (let i = 0; i < 9; i++) await browser(own).v1.recommendations.$get(feed);
    expect(await victimState()).toEqual(before);
    const stream = await streamCounts(redis);
    for (let n = 1; n <= 3; n++) expect(stream.has(`x-${stamp}-${n}`)).toBe(false);
  });

  it("cannot use expired, replayed-after-expiry, forged or foreign-audience tokens", async () => {
    const ownFeed = { query: { user_id: attacker, limit: "5" } };
    const cases: [Promise<string>, string][] = [
      [tokenFor(credentials, attacker, -60), "expired"],
      [tokenFor(credentials, attacker, 600, { secret: "guessed-secret-guessed-secret-guessed" }), "bad_signature"],
      [tokenFor(credentials, attacker, 600, { audience: "some-other-service" }), "wrong_audience"],
      [tokenFor(credentials, attacker, 30 * 86_400), "lifetime_too_long"],
    ];
    for (const [token, reason] of cases) {
      const res: Answer = await browser(await token).v1.recommendations.$get(ownFeed);
      const body = (await res.json()) as { error: { code: string; reason: string } };
      expect({ status: res.status, code: body.error.code, reason: body.error.reason }).toEqual({ status: 401, code: "invalid_token", reason });
    }
    // A captured token re-signed for another subject is a forgery too: the signature covers the claims.
    const [head, , sig] = (await tokenFor(credentials, attacker)).split(".");
    const claims = Buffer.from(JSON.stringify({ sub: victim, aud: credentials.audience, exp: Math.floor(Date.now() / 1000) + 600 })).toString("base64url");
    const res = await browser(`${head}.${claims}.${sig}`).v1.recommendations.$get({ query: { user_id: victim, limit: "5" } });
    expect(await errorCode(res)).toEqual({ status: 401, code: "invalid_token" });
  });

  it("cannot use the key from another origin, and browsers are told so by CORS", async () => {
    for (const origin of ["https://evil.example", "null"]) {
      const res = await browser(undefined, { Origin: origin }).v1.trending.$get({ query: { region: "global" } });
      expect(await errorCode(res)).toEqual({ status: 403, code: "origin_not_allowed" });
      // Raw fetch: a CORS preflight is the browser's own request, not a route of the API.
      const preflight = await fetch(`${base}/v1/events`, { method: "OPTIONS", headers: { Origin: origin, "Access-Control-Request-Method": "POST" } });
      expect(preflight.headers.get("Access-Control-Allow-Origin")).toBeNull();
    }
    const good = await fetch(`${base}/v1/events`, { method: "OPTIONS", headers: { Origin: credentials.origin, "Access-Control-Request-Method": "POST" } });
    expect(good.headers.get("Access-Control-Allow-Origin")).toBe(credentials.origin);
  });

  it("cannot poison trending with made-up users or items, nor inflate a variant with someone else's impression", async () => {
    const ip = { "CF-Connecting-IP": "192.0.2.50" };
    const target = "193585";
    // The clicks below and the reads of their hour's count fall in one hour.
    await clearOfHourBoundary();
    const bucket = hourBucket(Date.now() - 1000);
    const score = async () => Number((await redis.zscore(trendingKey("global", bucket), target)) ?? 0);
    const before = await score();
    // Made-up users come from anonymous ids, issued a few per client.
    const minted: { userId: string; token: string }[] = [];
    let refused = 0;
    for (let i = 0; i < 30; i++) {
      const res: Answer = await browser(undefined, ip).v1.anonymous.$post();
      if (res.status === 429) refused++;
      else minted.push((await res.json()) as { userId: string; token: string });
    }
    // 10 a minute per client; fixed windows, so a run across a window's end may get twice that.
    expect(minted.length).toBeLessThanOrEqual(20);
    expect(refused).toBeGreaterThanOrEqual(10);
    // Each clicks the target five times and an item that does not exist once.
    for (const [u, { userId, token }] of minted.entries()) {
      const clicks = Array.from({ length: 5 }, (_, n) => click(userId, `${userId}-${n}`, target));
      expect((await browser(token).v1.events.$post({ json: { events: clicks } })).status, `user ${u}`).toBe(200);
      const fake = await browser(token).v1.events.$post({ json: { events: [click(userId, `${userId}-fake`, "not-in-the-catalog")] } });
      expect(await errorCode(fake)).toEqual({ status: 400, code: "invalid_event_batch" });
    }
    expect(await score()).toBe(before + minted.length);
    expect(await redis.zscore(trendingKey("global", bucket), "not-in-the-catalog")).toBeNull();

    // The victim is shown a list; made-up users cite its impression id with purchases.
    const shown = (await (await browser(await tokenFor(credentials, victim)).v1.recommendations.$get({ query: { user_id: victim, limit: "5" } })).json()) as {
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
      const purchase = { ...click(userId, `${userId}-buy`, shown.items[0]!.itemId, { impressionId: shown.impressionId }), type: "purchase" as const };
      expect((await browser(token).v1.events.$post({ json: { events: [purchase] } })).status).toBe(200);
    }
    expect(Number((await redis.hget(counter, "ev:purchase")) ?? 0)).toBe(purchasesBefore);
    // The victim's own purchase through it counts, once however often it is sent.
    const own = await tokenFor(credentials, victim);
    for (const n of [1, 2]) {
      const purchase = { ...click(victim, `${victim}-buy-${n}`, shown.items[0]!.itemId, { impressionId: shown.impressionId }), type: "purchase" as const };
      expect((await browser(own).v1.events.$post({ json: { events: [purchase] } })).status).toBe(200);
    }
    expect(Number((await redis.hget(counter, "ev:purchase")) ?? 0)).toBe(purchasesBefore + 1);
  });

  it("is slowed by a 429 with Retry-After when flooding, and other clients are not", async () => {
    // The cheapest request the limit counts: authenticated, then refused by validation.
    const flood = (ip: string) => browser(undefined, { "CF-Connecting-IP": ip }).v1.trending.$get({ query: { limit: "0" } });
    let first429: Answer | undefined;
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
