/**
 * Bundle-size arm of bench/schemas.ts: the baseline app on @hono/zod-openapi
 * with the zod equivalents, as that library is used: routes declared with
 * createRoute, the document served by the app itself (its generator is in
 * the bundle).
 */
import { createRoute, OpenAPIHono, type z } from "@hono/zod-openapi";
import { zodEnvelope, zodEvent, zodProfile, zodRecommendationsQuery } from "./zod-schemas";

const json = (schema: z.ZodType) => ({ content: { "application/json": { schema } } });
const app = new OpenAPIHono()
  .openapi(
    createRoute({ method: "get", path: "/v1/recommendations", request: { query: zodRecommendationsQuery }, responses: { 200: { description: "list" } } }),
    (c) => c.json(c.req.valid("query")),
  )
  .openapi(createRoute({ method: "post", path: "/v1/events", request: { body: json(zodEnvelope) }, responses: { 200: { description: "results" } } }), (c) =>
    c.json((c.req.valid("json") as { events: unknown[] }).events.map((e) => zodEvent.safeParse(e).success)),
  )
  .openapi(createRoute({ method: "put", path: "/v1/users/{id}", request: { body: json(zodProfile) }, responses: { 200: { description: "profile" } } }), (c) =>
    c.json(c.req.valid("json")),
  );
app.doc31("/openapi.json", { openapi: "3.1.0", info: { title: "bench", version: "1" } });
export default app;
