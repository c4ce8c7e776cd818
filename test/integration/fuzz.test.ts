import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { type FuzzRequest, fuzzRequests, fuzzTokens } from "../fuzz/hostile-requests";
import { runFuzz } from "../fuzz/run-fuzz";
import { browserCall, demoCatalog, publishDemo, rawCall, userToken } from "./fixtures";
import { TEST_AUTH } from "./test-auth";

/**
 * Property-based: hostile and random requests against the Worker in workerd
 * never get a 5xx, every refusal is the error envelope with a code, and no
 * request among them changes anything: the victims' (and the attacker's)
 * Durable Objects, every KV value and every D1 row are equal before and
 * after each one. (Redis is off in this pool; the e2e property suite checks
 * it against a real redis-server.)
 */
const RUNS = 400;
const victims = ["fz-victim-1", "fz-victim-2"];
const attacker = "fz-attacker";
const stubOf = (userId: string) => env.USER_SESSION.get(env.USER_SESSION.idFromName(userId));

async function digest(bytes: ArrayBuffer | string): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", data))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Everything a request could have written, reduced to one string. */
async function stateDigest(): Promise<string> {
  const parts: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.INDEX_KV.list(cursor ? { cursor } : {});
    for (const key of page.keys) parts.push(`kv ${key.name} ${await digest((await env.INDEX_KV.get(key.name, "arrayBuffer")) ?? "")}`);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  const tables = await env.DB.prepare(
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name`,
  ).all<{ name: string }>();
  for (const { name } of tables.results) {
    parts.push(`d1 ${name} ${await digest(JSON.stringify((await env.DB.prepare(`SELECT * FROM "${name}" ORDER BY 1`).all()).results))}`);
  }
  for (const user of [...victims, attacker]) {
    const stub = stubOf(user);
    const [events, impressions, profile, version, outbox] = await Promise.all([
      stub.eventIds(),
      stub.impressionCounts(),
      stub.profile(),
      stub.version(),
      stub.pendingOutbox(),
    ]);
    parts.push(`do ${user} ${JSON.stringify({ events, impressions, profile, version, outbox })}`);
  }
  return parts.join("\n");
}

function send(request: FuzzRequest, clientIp: string): Promise<Response> {
  return rawCall(request.path, {
    method: request.method,
    // A client address per case: the rate limits would otherwise refuse most cases before the checks under test.
    headers: { ...request.headers, "CF-Connecting-IP": clientIp },
    body: request.body,
  });
}

describe("fuzzed requests against every route", () => {
  beforeAll(async () => {
    await publishDemo("v-fuzz");
    for (const victim of victims) {
      const token = await userToken(victim);
      const events = [0, 1].map((n) => ({ eventId: `${victim}-${n}`, userId: victim, itemId: `m${n}`, type: "click", timestamp: Date.now() - 1000 }));
      expect(
        (await browserCall("/v1/events", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ events }) }, token)).status,
      ).toBe(200);
    }
  });

  it(`never answer 5xx, refuse with a coded envelope, and write nothing (${RUNS} cases)`, async () => {
    const credentials = {
      secretKey: TEST_AUTH.secretKey,
      publishableKey: TEST_AUTH.publishableKey,
      origin: TEST_AUTH.origin,
      tokenKey: { kid: TEST_AUTH.tokenKid, secret: TEST_AUTH.tokenSecret },
      audience: TEST_AUTH.audience,
    };
    const tokens = await fuzzTokens(credentials, attacker);
    const catalogItemIds = demoCatalog().map((c) => c.itemId);
    const report = await runFuzz({
      suite: "fuzz-workerd",
      requests: fuzzRequests(credentials, tokens, victims, catalogItemIds),
      send,
      stateDigest,
      runs: RUNS,
      seed: 1414,
    });
    expect(report.cases).toBe(RUNS);
  }, 240_000);
});
