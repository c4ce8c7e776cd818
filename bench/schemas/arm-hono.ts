/** Bundle-size baseline of bench/schemas.ts: a Hono app with one JSON route and no schema library. */
import { Hono } from "hono";

const app = new Hono().get("/v1/recommendations", (c) => c.json({ userId: c.req.query("user_id") ?? null }));
export default app;
