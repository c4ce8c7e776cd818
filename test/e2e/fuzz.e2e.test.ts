import { beforeAll, describe, expect, inject, it } from "vitest";
import { type FuzzRequest, fuzzRequests, fuzzTokens } from "../fuzz/hostile-requests";
import { runFuzz } from "../fuzz/run-fuzz";
import { browserClient, serverClient, sharedCredentials, tokenFor } from "./client";
import { redisClient } from "./stream-helpers";

/**
 * The property suite of test/integration/fuzz.test.ts over HTTP against
 * wrangler dev with a real redis-server: no 5xx, a coded envelope on every
 * refusal, and Redis (every key's serialized value) and the victims'
 * Durable Objects (through the admin audit) equal before and after each case.
 */
const RUNS = 300;
const base = inject("baseUrl");
const credentials = sharedCredentials();
const server = serverClient(credentials);
const redis = redisClient(inject("redisUrl"), inject("redisToken"));
const stamp = Date.now();
const victims = [`fze-victim-1-${stamp}`, `fze-victim-2-${stamp}`];
const attacker = `fze-attacker-${stamp}`;

/**
 * One digest of every key and its DUMP (type, value, not TTL), computed inside Redis. The
 * request metrics (metrics:<minute>) are left out: every request, refused or not, is counted there.
 */
const REDIS_DIGEST = `
local keys = redis.call('KEYS', '*')
table.sort(keys)
local parts = {}
for _, k in ipairs(keys) do
  if string.sub(k, 1, 8) ~= 'metrics:' then parts[#parts + 1] = k .. '=' .. redis.sha1hex(redis.call('DUMP', k)) end
end
return redis.sha1hex(table.concat(parts, '\\n'))
`;

async function stateDigest(): Promise<string> {
  const users = await Promise.all(
    [...victims, attacker].map(async (u) => JSON.stringify(await (await server.admin.users[":id"].events.$get({ param: { id: u } })).json())),
  );
  return `${String(await redis.eval(REDIS_DIGEST, [], []))}\n${users.join("\n")}`;
}

/** Raw fetch: the fuzzed requests are malformed on purpose (bodies, headers, paths the typed client could not send). */
function send(request: FuzzRequest, clientIp: string): Promise<Response> {
  return fetch(`${base}${request.path}`, { method: request.method, headers: { ...request.headers, "CF-Connecting-IP": clientIp }, body: request.body });
}

describe("fuzzed requests over HTTP with a real Redis", () => {
  beforeAll(async () => {
    const empty = await stateDigest();
    for (const victim of victims) {
      const events = [0, 1].map((n) => ({
        eventId: `${victim}-${n}`,
        userId: victim,
        itemId: String(n + 1),
        type: "click" as const,
        timestamp: Date.now() - 1000,
      }));
      const res = await browserClient(credentials, await tokenFor(credentials, victim)).v1.events.$post({ json: { events } });
      expect(res.status).toBe(200);
    }
    // The digest sees an accepted write (else the property below could not fail).
    expect(await stateDigest()).not.toBe(empty);
    // Let impression and event writes of earlier suites settle.
    await new Promise((r) => setTimeout(r, 500));
  });

  it(`never answer 5xx, refuse with a coded envelope, and change nothing in Redis or the sessions (${RUNS} cases)`, async () => {
    const tokens = await fuzzTokens(credentials, attacker);
    const report = await runFuzz({
      suite: "fuzz-e2e",
      requests: fuzzRequests(credentials, tokens, victims, ["1", "2", "260", "356"]),
      send,
      stateDigest,
      runs: RUNS,
      seed: 1415,
    });
    expect(report.cases).toBe(RUNS);
  }, 240_000);
});
