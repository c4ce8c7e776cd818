/**
 * Bundle-size arm of bench/schemas.ts: the baseline app with the Worker's
 * Valibot validation (query, events, profile schemas and their error
 * mapping). The OpenAPI document is generated at build time, so no
 * converter is bundled; the Worker serves the committed JSON.
 */
import { Hono } from "hono";
import { eventBatch, eventBatchIssuesError } from "../../worker/src/http/schemas/events";
import { recommendationsQuery, recommendationsQueryError } from "../../worker/src/http/schemas/recommendations";
import { profileBody, profileError } from "../../worker/src/http/schemas/users";
import { validJson, validQuery } from "../../worker/src/http/schemas/validate";
import { validateEventBatch } from "../../shared/events/validate-batch";
import { type AppEnv } from "../../worker/src/http/app-env";

const app = new Hono<AppEnv>()
  .get("/v1/recommendations", validQuery(recommendationsQuery, recommendationsQueryError), (c) => c.json(c.req.valid("query")))
  .post("/v1/events", validJson(eventBatch, 1 << 20, eventBatchIssuesError), (c) => c.json(validateEventBatch(c.req.valid("json"), Date.now())))
  .put("/v1/users/:id", validJson(profileBody, 1 << 14, profileError), (c) => c.json(c.req.valid("json")));
export default app;
