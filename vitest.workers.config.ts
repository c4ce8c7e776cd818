import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { offlineWranglerEnv } from "./index-builder/src/local/wrangler";

Object.assign(process.env, offlineWranglerEnv());

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
          bindings: {
            TEST_MIGRATIONS: migrations,
            ADMIN_KEY: "integration-admin-key",
            UPSTASH_REDIS_REST_URL: "",
            UPSTASH_REDIS_REST_TOKEN: "",
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
