import { defineConfig } from "vitest/config";

/**
 * End-to-end over real HTTP: `wrangler dev` on 127.0.0.1 with a real
 * redis-server behind the Upstash REST bridge, started by the global setup.
 */
export default defineConfig({
  test: {
    name: "e2e",
    environment: "node",
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["./test/e2e/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
