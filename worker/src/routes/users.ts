import { Hono } from "hono";
import { AppError } from "../../../shared/errors";
import { actsForPathUser } from "../auth/acting-user";
import { verifyAnonymousToken } from "../auth/anonymous-id";
import { authConfig } from "../auth/auth-config";
import { type AppEnv } from "../http/app-env";
import { idParamError, mergeBody, mergeError, profileBody, profileError, userIdParam } from "../http/schemas/users";
import { validJson, validParams } from "../http/schemas/validate";
import { regionOf } from "../http/region";
import { eraseUser } from "../privacy/erase-user";
import { mergeAnonymousSession } from "../session/merge-anonymous";
import { sessionStub } from "../session/session-stub";
import { unavailable } from "../http/unavailable";

/** The user in the path, checked, then the caller's right to act for them: before any body is read. */
const pathUser = [validParams(userIdParam, idParamError), actsForPathUser()] as const;

/** Every route here acts for the user in the path: their token, or a secret key. */
export const users = new Hono<AppEnv>()
  /** Declared region and category preferences: the cold-start inputs. */
  .put("/:id", ...pathUser, validJson(profileBody, 16 * 1024, profileError), async (c) => {
    const userId = c.req.valid("param").id;
    const profile = c.req.valid("json");
    const result = await sessionStub(c.env, userId)
      .setProfile(profile)
      .catch(unavailable("the user's session (its Durable Object)", "the profile was not stored; retry"));
    return c.json({ userId, ...result });
  })
  /**
   * Privacy deletion everywhere (privacy/erase-user.ts): the Durable Object,
   * Redis, and a tombstone the builder honours for its files and the next
   * index. Answers the receipt; a repeated DELETE is harmless and gets one
   * of its own. A store that cannot be reached is a 503 to retry.
   */
  .delete("/:id", ...pathUser, async (c) => {
    const userId = c.req.valid("param").id;
    const receipt = await eraseUser(c.env, userId, c.get("requestId"));
    return c.json({ userId, erased: true, redis: receipt.stores.find((s) => s.store === "redis")?.status, receipt });
  })
  /**
   * `{"anonymousToken"}` (no other field): on login, the anonymous visitor's session joins
   * the user's (merge-anonymous.ts). Needs both proofs: the user's token (or
   * a secret key) and the anonymous id's own token.
   */
  .post("/:id/merge", ...pathUser, validJson(mergeBody, 8 * 1024, mergeError), async (c) => {
    const userId = c.req.valid("param").id;
    const token = c.req.valid("json").anonymousToken;
    const anonymousId = await verifyAnonymousToken(authConfig(c.env), token, Date.now());
    if (anonymousId === userId) throw new AppError("invalid_request", "a session cannot be merged into itself", { field: "anonymousToken" });
    const result = await mergeAnonymousSession(c.env, anonymousId, userId, regionOf(c.req.raw));
    return c.json({ userId, mergedFrom: anonymousId, ...result });
  });
