import { createMiddleware } from "hono/factory";
import { isValidId } from "../../../shared/ids";
import { type AppEnv } from "./app-env";

/** Gives every request an id (the caller's `X-Request-Id` when sane) and echoes it back. */
export function requestId() {
  return createMiddleware<AppEnv>(async function requestIdMiddleware(c, next) {
    const incoming = c.req.header("x-request-id");
    const id = isValidId(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", id);
    await next();
    c.header("X-Request-Id", id);
  });
}
