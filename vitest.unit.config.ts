import { defineConfig } from "vitest/config";

/** Unit tests of pure code and Node-side modules, next to the code they test. */
export default defineConfig({
  test: {
    name: "unit",
    environment: "node",
    include: ["shared/**/*.test.ts", "index-builder/**/*.test.ts", "playground/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
