import { type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { type ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, type ErrorCode } from "../../../shared/errors";
import { type AppEnv } from "./app-env";

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_event_batch: 400,
  invalid_item: 400,
  invalid_manifest: 400,
  checksum_mismatch: 400,
  invalid_experiment: 400,
  invalid_allocation: 400,
  unknown_index_version: 400,
  unknown_knob: 400,
  overlapping_experiment: 400,
  invalid_holdout: 400,
  invalid_history: 400,
  unauthorized: 401,
  invalid_api_key: 401,
  token_required: 401,
  invalid_token: 401,
  forbidden: 403,
  origin_not_allowed: 403,
  method_not_allowed: 405,
  rate_limited: 429,
  not_found: 404,
  item_not_found: 404,
  version_conflict: 409,
  experiment_conflict: 409,
  index_incomplete: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  index_not_published: 503,
  dependency_unavailable: 503,
  internal: 500,
};

/** The one place that turns errors into `{"error":{code,message,requestId}}` responses. */
export function onError(err: Error, c: Context<AppEnv>): Response {
  const requestId = c.get("requestId") ?? "";
  if (err instanceof AppError) {
    if (typeof err.details?.retryAfterS === "number") c.header("Retry-After", String(err.details.retryAfterS));
    if (typeof err.details?.allow === "string") c.header("Allow", err.details.allow);
    return c.json({ error: { code: err.code, message: err.message, requestId, ...err.details } }, STATUS[err.code]);
  }
  if (err instanceof HTTPException) {
    const code: ErrorCode = err.status === 413 ? "payload_too_large" : err.status === 401 ? "unauthorized" : "invalid_request";
    return c.json({ error: { code, message: err.message || "request rejected", requestId } }, err.status);
  }
  console.error(JSON.stringify({ level: "error", requestId, message: err.message, stack: err.stack }));
  return c.json({ error: { code: "internal", message: "internal error; the request id identifies it in the logs", requestId } }, 500);
}

/** The 404 for a path no route has; `routePath`: the route it names without its trailing slash, for a hint. */
export function notFound(c: Context<AppEnv>, routePath: string | null = null): Response {
  const hint = routePath === null ? "" : `: drop the trailing slash (${routePath})`;
  return c.json(
    { error: { code: "not_found", message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}${hint}`, requestId: c.get("requestId") ?? "" } },
    404,
  );
}
