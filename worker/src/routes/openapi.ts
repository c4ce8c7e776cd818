import { Hono } from "hono";
import document from "../../../docs/openapi.json";
import { AppError } from "../../../shared/errors";
import { type AppEnv } from "../http/app-env";
import { referencePage } from "../openapi/reference-page";

/** The committed document (npm run openapi), typed loosely: its literal type would weigh on every client type check. */
const spec: Record<string, unknown> = document;
let page: string | null = null;

/**
 * `GET /openapi.json`: the API's OpenAPI 3.1 document, generated from the
 * routes' schemas and checked in `npm test`. `GET /docs`: the reference
 * page rendered from it, only where `API_REFERENCE` is "1" (local dev; off
 * in production unless turned on).
 */
export const openApi = new Hono<AppEnv>()
  .get("/openapi.json", (c) => c.json(spec, 200, { "Cache-Control": "public, max-age=300" }))
  .get("/docs", (c) => {
    if (c.env.API_REFERENCE !== "1") throw new AppError("not_found", "no route for GET /docs (the API reference is off: set API_REFERENCE=1)");
    page ??= referencePage(spec);
    return c.html(page);
  });
