import { createHash } from "node:crypto";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { offlineWranglerEnv } from "./index-builder/src/local/wrangler";
import { TEST_AUTH, TEST_LIMITS } from "./test/integration/test-auth";

Object.assign(process.env, offlineWranglerEnv());

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * Integration tests inside workerd: the real Worker (main) with local KV, D1,
 * Durable Objects and the Cache API. Redis is off here (no URL); the
 * end-to-end suite covers it against a real redis-server.
 */
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./worker/migrations");
  return {
    plugins: [
      cloudflareTest({
        main: "./worker/src/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          ratelimits: {
            CLIENT_RATE_LIMIT: { simple: { limit: TEST_LIMITS.client, period: 60 } },
            USER_EVENTS_RATE_LIMIT: { simple: { limit: TEST_LIMITS.userEvents, period: 60 } },
            ANONYMOUS_RATE_LIMIT: { simple: { limit: TEST_LIMITS.anonymous, period: 60 } },
          },
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Secret keys are stored as their SHA-256; two are active, as during a rotation.
            SECRET_KEY_HASHES: [TEST_AUTH.secretKey, TEST_AUTH.rotatedSecretKey].map(sha256).join(","),
            USER_TOKEN_SECRETS: `${TEST_AUTH.tokenKid}:${TEST_AUTH.tokenSecret}`,
            PUBLISHABLE_KEYS: JSON.stringify({ [TEST_AUTH.publishableKey]: [TEST_AUTH.origin] }),
            TOKEN_AUDIENCE: TEST_AUTH.audience,
            UPSTASH_REDIS_REST_URL: "",
            UPSTASH_REDIS_REST_TOKEN: "",
            ERASURE_KEY: TEST_AUTH.erasureKey,
          },
        },
      }),
    ],
    test: {
      name: "workers",
      include: ["test/integration/**/*.test.ts"],
      setupFiles: ["./test/integration/apply-migrations.ts"],
      testTimeout: 30_000,
    },
  };
});
