import { createMiddleware } from "hono/factory";
import { type Context } from "hono";
import { AppError } from "../../../shared/errors";
import { type AppEnv } from "../http/app-env";

/**
 * Refuses unless the caller may act for `userId`: a secret key (a server
 * acting for its users), or a publishable key with a token for that user.
 */
export function requireUser(c: Context<AppEnv>, userId: string): void {
  const caller = c.get("caller");
  if (caller.kind === "secret") return;
  if (caller.userId === null) throw new AppError("token_required", "acting for a user needs that user's token: Authorization: Bearer <user token>");
  if (caller.userId !== userId) throw new AppError("forbidden", "the user token is for another user");
}

/** `requireUser` for the user named by the route's validated `:id` path parameter. */
export function actsForPathUser() {
  return createMiddleware<AppEnv, string, { out: { param: { id: string } } }>(async function actsForPathUser(c, next) {
    requireUser(c, c.req.valid("param").id);
    await next();
  });
}

/** The user a publishable caller's token names, if any (secret-key callers name users explicitly). */
export function tokenUserId(c: Context<AppEnv>): string | null {
  const caller = c.get("caller");
  return caller.kind === "publishable" ? caller.userId : null;
}

/** Admin routes: secret keys only. */
export function requireSecretKey() {
  return createMiddleware<AppEnv>(async function requireSecretKeyMiddleware(c, next) {
    if (c.get("caller").kind !== "secret") throw new AppError("forbidden", "this route takes a secret key: Authorization: Bearer sk_…");
    await next();
  });
}
