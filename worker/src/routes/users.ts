import { Hono } from "hono";
import { AppError } from "../../../shared/errors";
import { isValidId } from "../../../shared/ids";
import { parseUserProfile } from "../../../shared/users/profile";
import { requireUser } from "../auth/acting-user";
import { verifyAnonymousToken } from "../auth/anonymous-id";
import { authConfig } from "../auth/auth-config";
import { type AppEnv } from "../http/app-env";
import { readJson } from "../http/read-json";
import { regionOf } from "../http/region";
import { eraseUser } from "../privacy/erase-user";
import { mergeAnonymousSession } from "../session/merge-anonymous";
import { sessionStub } from "../session/session-stub";

function userIdParam(id: string): string {
  if (!isValidId(id)) throw new AppError("invalid_request", "user id must be 1-128 characters of A-Z a-z 0-9 _ . : @ -");
  return id;
}

/** Every route here acts for the user in the path: their token, or a secret key. */
export const users = new Hono<AppEnv>()
  /** Declared region and category preferences: the cold-start inputs. */
  .put("/:id", async (c) => {
    const userId = userIdParam(c.req.param("id"));
    requireUser(c, userId);
    const profile = parseUserProfile(await readJson(c, 16 * 1024));
    if (typeof profile === "string") throw new AppError("invalid_request", `${profile}; the profile was not changed`);
    const result = await sessionStub(c.env, userId).setProfile(profile);
    return c.json({ userId, ...result });
  })
  /**
   * Privacy deletion everywhere (privacy/erase-user.ts): the Durable Object,
   * Redis, and a tombstone the builder honours for its files and the next
   * index. Answers the receipt; a repeated DELETE is harmless and gets one
   * of its own. A store that cannot be reached is a 503 to retry.
   */
  .delete("/:id", async (c) => {
    const userId = userIdParam(c.req.param("id"));
    requireUser(c, userId);
    const receipt = await eraseUser(c.env, userId, c.get("requestId"));
    return c.json({ userId, erased: true, redis: receipt.stores.find((s) => s.store === "redis")?.status, receipt });
  })
  /**
   * `{"anonymousToken"}`: on login, the anonymous visitor's session joins
   * the user's (merge-anonymous.ts). Needs both proofs: the user's token (or
   * a secret key) and the anonymous id's own token.
   */
  .post("/:id/merge", async (c) => {
    const userId = userIdParam(c.req.param("id"));
    requireUser(c, userId);
    const body = await readJson(c, 8 * 1024);
    const token = body !== null && typeof body === "object" ? (body as Record<string, unknown>).anonymousToken : undefined;
    if (typeof token !== "string")
      throw new AppError("invalid_request", 'send {"anonymousToken": "<the visitor\'s anonymous token>"}', { field: "anonymousToken" });
    const anonymousId = await verifyAnonymousToken(authConfig(c.env), token, Date.now());
    if (anonymousId === userId) throw new AppError("invalid_request", "a session cannot be merged into itself", { field: "anonymousToken" });
    const result = await mergeAnonymousSession(c.env, anonymousId, userId, regionOf(c.req.raw));
    return c.json({ userId, mergedFrom: anonymousId, ...result });
  });
