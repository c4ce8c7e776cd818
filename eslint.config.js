import tseslint from "typescript-eslint";

/** Imports that would tie shared/ to one runtime or driver (STYLE.md: the core does not know where it runs). */
const RUNTIME_BOUND = [
  { group: ["cloudflare:*"], message: "shared/ runs in Node and workerd: no Workers APIs." },
  { group: ["node:*"], message: "shared/ runs in Node and workerd: no Node APIs." },
  { group: ["hono", "hono/*"], message: "shared/ is not HTTP code: keep Hono in worker/." },
  {
    group: [
      "drizzle-orm/d1",
      "drizzle-orm/better-sqlite3",
      "drizzle-orm/libsql",
      "drizzle-orm/node-postgres",
      "better-sqlite3",
      "@libsql/*",
      "pg",
      "@upstash/*",
      "ioredis",
    ],
    message: "shared/ takes data and small deps objects; drivers belong to worker/ or index-builder/.",
  },
];
/** Adapters live in worker/ (KV, D1, Redis, ORT) and index-builder/ (in-memory); shared/funnel/ and the rest of shared/ see only their ports. */
const ADAPTER_SIDES = [
  {
    group: ["**/worker/**", "**/worker/src/**"],
    message: "shared/ is the core: it never imports the Worker's adapters (bind ports in worker/src/funnel/worker-ports.ts).",
  },
  { group: ["**/index-builder/**"], message: "shared/ is the core: it never imports the builder (its in-memory ports live in index-builder/src/funnel/)." },
  { group: ["**/test/**"], message: "shared/ never imports test fixtures outside test files." },
];
const NODE_BUILTINS = ["fs", "path", "os", "crypto", "child_process", "net", "http", "url", "util", "stream", "events", "buffer", "zlib"];

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "**/.wrangler/",
      ".index/",
      "worker-configuration.d.ts",
      "bench/results/",
      "playground/public/playground/playground.js",
      "test-results/",
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  {
    files: ["shared/**/*.ts"],
    ignores: ["shared/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [...RUNTIME_BOUND, ...ADAPTER_SIDES],
          paths: NODE_BUILTINS.map((name) => ({ name, message: "shared/ runs in Node and workerd: no Node APIs." })),
        },
      ],
    },
  },
);
