import fc from "fast-check";
import { signUserToken, type TokenKey } from "../../shared/auth/user-token";
import { validateEventBatch } from "../../shared/events/validate-batch";
import { ID_PATTERN } from "../../shared/ids";
import { decodeCursor } from "../../shared/ranking/page-cursor";
import { parseUserProfile } from "../../shared/users/profile";

/**
 * Requests an attacker or a broken client could send to the API, for the
 * property suites (workerd and e2e). Each `hostile` request is wrong in at
 * least one way the service must refuse (credentials, path, query, headers
 * or body) while its other parts aim at real victims, so a request that got
 * through would write; `junk` ones are random methods, paths and headers
 * without valid credentials. Nothing either kind sends may change state.
 */
export interface FuzzCredentials {
  secretKey: string;
  publishableKey: string;
  origin: string;
  tokenKey: TokenKey;
  audience: string;
}

export interface FuzzTokens {
  /** Valid, for the attacker's own account (never a victim). */
  attacker: string;
  expired: string;
  forged: string;
  wrongAudience: string;
  longLived: string;
}

export interface FuzzRequest {
  kind: "hostile" | "junk";
  /** Which part is wrong, for the failure message and the report. */
  what: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export async function fuzzTokens(credentials: FuzzCredentials, attacker: string): Promise<FuzzTokens> {
  const nowS = Math.floor(Date.now() / 1000);
  const sign = (claims: { sub: string; aud: string; exp: number }, secret = credentials.tokenKey.secret) =>
    signUserToken(claims, { kid: credentials.tokenKey.kid, secret });
  return {
    attacker: await sign({ sub: attacker, aud: credentials.audience, exp: nowS + 3600 }),
    expired: await sign({ sub: attacker, aud: credentials.audience, exp: nowS - 120 }),
    forged: await sign({ sub: attacker, aud: credentials.audience, exp: nowS + 3600 }, "f".repeat(40)),
    wrongAudience: await sign({ sub: attacker, aud: "elsewhere", exp: nowS + 3600 }),
    longLived: await sign({ sub: attacker, aud: credentials.audience, exp: nowS + 90 * 86_400 }),
  };
}

/** Printable ASCII: what a header value may hold (a CR or LF would not even make a Request). */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });
const notAnId = fc.oneof(fc.string({ maxLength: 140 }), fc.constantFrom("", " ", "a/b", "x".repeat(129), "é", "..", "%00")).filter((s) => !ID_PATTERN.test(s));
const anyJson = fc.oneof(
  fc.json({ maxDepth: 3 }).map((t) => JSON.parse(t) as unknown),
  fc.constant(null),
  fc.constant({}),
  fc.constant([]),
);

export function fuzzRequests(credentials: FuzzCredentials, tokens: FuzzTokens, victims: string[], catalogItemIds: string[]): fc.Arbitrary<FuzzRequest> {
  const victim = fc.constantFrom(...victims);
  const item = fc.constantFrom(...catalogItemIds);
  const secret = { Authorization: `Bearer ${credentials.secretKey}` };
  const browser = { "X-Api-Key": credentials.publishableKey, Origin: credentials.origin };
  const randomToken = fc.constantFrom(tokens.expired, tokens.forged, tokens.wrongAudience, tokens.longLived);
  /** Credentials that may not act for a victim (a key alone, or another user's token, are still not enough). */
  const notForVictim = fc.oneof(
    fc.constant({}),
    headerText.map((s) => ({ Authorization: s })),
    headerText.map((s) => ({ Authorization: `Bearer sk_${s}` })),
    headerText.map((s) => ({ "X-Api-Key": `pk_${s}`, Origin: credentials.origin })),
    fc
      .oneof(headerText, fc.constantFrom("null", "https://evil.example", `${credentials.origin}.evil.example`))
      .filter((o) => o !== credentials.origin)
      .map((o) => ({ ...browser, Origin: o })),
    fc.constant({ "X-Api-Key": credentials.publishableKey }),
    fc.constant(browser),
    fc.oneof(randomToken, headerText, fc.constant(tokens.attacker)).map((t) => ({ ...browser, Authorization: `Bearer ${t}` })),
  );
  /** Credentials that fail for any route: no key, unknown keys, wrong origins, bad tokens. */
  const invalid = fc.oneof(
    fc.constant({}),
    headerText.map((s) => ({ Authorization: `Bearer sk_${s}` })),
    headerText.map((s) => ({ "X-Api-Key": `pk_${s}`, Origin: credentials.origin })),
    fc.constantFrom("null", "https://evil.example").map((o) => ({ ...browser, Origin: o })),
    randomToken.map((t) => ({ ...browser, Authorization: `Bearer ${t}` })),
  );
  const validFor = fc.constantFrom<Record<string, string>>(secret);
  const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
  const event = (userId: string, itemId: string, n: number) => ({ eventId: `fz-${n}`, userId, itemId, type: "click", timestamp: Date.now() - 1000 });
  const goodBatch = fc.tuple(victim, item, fc.nat()).map(([u, i, n]) => ({ events: [event(u, i, n)] }));

  const recsQuery = (userId: string, extra: Record<string, string> = {}) => new URLSearchParams({ user_id: userId, limit: "5", ...extra }).toString();
  const badRecsQuery = fc
    .tuple(
      victim,
      fc.oneof(
        notAnId.map((v) => ({ user_id: v })),
        fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 51 }), fc.double({ noInteger: true })).map((v) => ({ limit: String(v) })),
        headerText.filter((s) => !["home", "up_next", "related"].includes(s)).map((v) => ({ surface: v })),
        fc.constantFrom({ surface: "up_next" }, { surface: "related" }),
        notAnId.filter((s) => s !== "").map((v) => ({ item_id: v })),
        fc.constantFrom({ category: "" }, { category: "c".repeat(65) }),
        fc.constantFrom({ exclude: Array.from({ length: 101 }, (_, i) => `x${i}`).join(",") }, { exclude: "a,b c" }),
        headerText.filter((s) => decodeCursor(s) === null).map((v) => ({ cursor: v })),
      ),
    )
    .map(([u, bad]) => new URLSearchParams({ user_id: u, limit: "5", ...bad }).toString());

  const badEventsBody = fc.oneof(
    anyJson.filter((b) => !validateEventBatch(b, Date.now()).ok).map(json),
    fc
      .tuple(goodBatch, fc.constantFrom("eventId", "userId", "itemId", "type", "timestamp", "value", "extra"), anyJson)
      .map(([b, field, v]) => json({ events: [{ ...b.events[0]!, [field]: v }] }))
      .filter((r) => !validateEventBatch(JSON.parse(r.body), Date.now()).ok),
    fc.tuple(victim, fc.nat()).map(([u, n]) => json({ events: [event(u, "fz-not-in-catalog", n)] })),
    goodBatch.map((b) => ({ body: JSON.stringify(b), headers: { "Content-Type": "text/plain" } })),
    headerText
      .filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      })
      .map((s) => ({ body: s, headers: { "Content-Type": "application/json" } })),
  );

  const hostile = (
    what: string,
    method: string,
    path: string,
    headers: Record<string, string>,
    extra: { body?: string; headers?: Record<string, string> } = {},
  ): FuzzRequest => ({
    kind: "hostile",
    what,
    method,
    path,
    headers: { ...headers, ...extra.headers },
    body: extra.body,
  });
  const victimPath = (p: string) => `/v1/users/${encodeURIComponent(p)}`;

  const hostileRequests = fc.oneof(
    fc.tuple(victim, notForVictim).map(([u, h]) => hostile("credentials: recommendations", "GET", `/v1/recommendations?${recsQuery(u)}`, h)),
    fc.tuple(badRecsQuery, validFor).map(([q, h]) => hostile("query: recommendations", "GET", `/v1/recommendations?${q}`, h)),
    fc.tuple(goodBatch, notForVictim).map(([b, h]) => hostile("credentials: events", "POST", "/v1/events", h, json(b))),
    fc.tuple(badEventsBody, validFor).map(([b, h]) => hostile("body: events", "POST", "/v1/events", h, b)),
    fc.tuple(victim, notForVictim).map(([u, h]) => hostile("credentials: profile", "PUT", victimPath(u), h, json({ categories: ["Drama"] }))),
    fc
      .tuple(
        victim,
        anyJson.filter((b) => typeof parseUserProfile(b) === "string"),
        validFor,
      )
      .map(([u, b, h]) => hostile("body: profile", "PUT", victimPath(u), h, json(b))),
    fc
      .tuple(
        notAnId.filter((s) => s !== "" && !s.includes("/")),
        validFor,
      )
      .map(([u, h]) => hostile("path: profile", "PUT", victimPath(u), h, json({}))),
    fc.tuple(victim, notForVictim).map(([u, h]) => hostile("credentials: delete", "DELETE", victimPath(u), h)),
    fc
      .tuple(
        notAnId.filter((s) => s !== "" && !s.includes("/")),
        validFor,
      )
      .map(([u, h]) => hostile("path: delete", "DELETE", victimPath(u), h)),
    fc
      .tuple(victim, notForVictim)
      .map(([u, h]) => hostile("credentials: merge", "POST", `${victimPath(u)}/merge`, h, json({ anonymousToken: tokens.attacker }))),
    fc
      .tuple(victim, fc.oneof(headerText, randomToken, fc.constant(tokens.attacker)), validFor)
      .map(([u, t, h]) => hostile("anonymous token: merge", "POST", `${victimPath(u)}/merge`, h, json({ anonymousToken: t }))),
    fc
      .tuple(
        victim,
        anyJson.filter((b) => typeof b !== "object" || b === null || typeof (b as Record<string, unknown>).anonymousToken !== "string"),
        validFor,
      )
      .map(([u, b, h]) => hostile("body: merge", "POST", `${victimPath(u)}/merge`, h, json(b))),
    invalid.map((h) => hostile("credentials: trending", "GET", "/v1/trending?region=global", h)),
    fc
      .tuple(
        fc.oneof(
          headerText.filter((s) => !/^([A-Za-z]{2}|global)$/i.test(s)).map((r) => `region=${encodeURIComponent(r)}`),
          fc.constantFrom("limit=0", "limit=101", "limit=x"),
        ),
        validFor,
      )
      .map(([q, h]) => hostile("query: trending", "GET", `/v1/trending?${q}`, h)),
    fc.tuple(item, invalid).map(([i, h]) => hostile("credentials: item", "GET", `/v1/items/${i}`, h)),
    fc
      .tuple(
        notAnId.filter((s) => s !== "" && !s.includes("/") && s !== "." && s !== ".."),
        validFor,
      )
      .map(([i, h]) => hostile("path: item", "GET", `/v1/items/${encodeURIComponent(i)}`, h)),
    fc
      .tuple(item, fc.constantFrom("limit=0", "limit=101", "limit=x", "limit=1.5"), validFor)
      .map(([i, q, h]) => hostile("query: similar", "GET", `/v1/items/${i}/similar?${q}`, h)),
    invalid.map((h) => hostile("credentials: anonymous", "POST", "/v1/anonymous", h)),
    fc
      .tuple(
        fc.constantFrom<[string, string, unknown]>(
          ["PUT", "/admin/index/current", { version: "v-fuzz" }],
          ["POST", "/admin/catalog/items", { items: [{ itemId: "fz-admin", title: "x", categories: [], year: 2000, tags: [], available: true }] }],
          ["PUT", "/admin/config/policy", { default: { explorationRate: 1 } }],
          ["PUT", "/admin/config/editorial", { home: { default: ["1"] } }],
          ["GET", "/admin/index/current", undefined],
          ["GET", "/health", undefined],
        ),
        fc.oneof(notForVictim, fc.constant({ ...browser, Authorization: `Bearer ${tokens.attacker}` })),
      )
      .map(([[method, path, body], h]) => hostile(`credentials: ${path}`, method, path, h, body === undefined ? {} : json(body))),
    fc
      .tuple(
        fc.constantFrom<[string, string]>(
          ["GET", "/v1/events"],
          ["PATCH", "/v1/events"],
          ["POST", "/v1/trending"],
          ["PATCH", "/v1/users/u1"],
          ["GET", "/v1/users/u1"],
          ["PUT", "/v1/recommendations"],
          ["DELETE", "/v1/items/1"],
        ),
        validFor,
      )
      .map(([[method, path], h]) => hostile("method", method, path, h)),
    fc.tuple(fc.constantFrom("/v1/events", "/v1/users/u1"), validFor).map(([path, h]) =>
      hostile("body size", path === "/v1/events" ? "POST" : "PUT", path, h, {
        body: "x".repeat(1024 * 1024 + 1),
        headers: { "Content-Type": "application/json" },
      }),
    ),
  );

  const junk = fc
    .record({
      method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
      segments: fc.array(
        fc.oneof(
          fc.constantFrom("v1", "admin", "users", "events", "items", "trending", "recommendations", "health", "live", "merge", "anonymous", ...victims),
          fc.string({ maxLength: 12 }),
        ),
        { maxLength: 5 },
      ),
      query: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 4 }),
      headers: fc.dictionary(
        fc.constantFrom("X-Api-Key", "Authorization", "Origin", "Content-Type", "X-Request-Id", "Content-Length", "X-Anything"),
        headerText,
        { maxKeys: 4 },
      ),
      body: fc.option(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          anyJson.map((v) => JSON.stringify(v) ?? ""),
        ),
        { nil: undefined },
      ),
    })
    .map(({ method, segments, query, headers, body }): FuzzRequest => {
      const { "Content-Length": _ignored, ...rest } = headers;
      const search = new URLSearchParams(query).toString();
      return {
        kind: "junk",
        what: "junk",
        method,
        path: `/${segments.map(encodeURIComponent).join("/")}${search ? `?${search}` : ""}`,
        headers: rest,
        body: method === "GET" || method === "HEAD" ? undefined : body,
      };
    })
    // Junk never carries working credentials: those could make it a legitimate write.
    .filter((r) => !Object.values(r.headers).some((v) => v.includes(credentials.secretKey) || v.includes(credentials.publishableKey)));

  return fc.oneof({ arbitrary: hostileRequests, weight: 4 }, { arbitrary: junk, weight: 1 });
}

/** The known error codes: every refusal must carry one. */
export function isErrorEnvelope(body: unknown): body is { error: { code: string; message: string; requestId: string } } {
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  return (
    typeof error?.code === "string" &&
    /^[a-z_]+$/.test(error.code) &&
    typeof error.message === "string" &&
    error.message.length > 0 &&
    typeof error.requestId === "string"
  );
}
