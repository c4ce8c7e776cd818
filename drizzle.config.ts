import { defineConfig } from "drizzle-kit";

/** `npm run db:generate` writes SQL migrations that wrangler applies to D1. */
export default defineConfig({
  dialect: "sqlite",
  schema: "./shared/db/schema.ts",
  out: "./worker/migrations",
});
