import { createMiddleware } from "hono/factory";
import { PUBLISHABLE_KEY_PREFIX } from "../../../shared/auth/secret-key";
import { AppError } from "../../../shared/errors";
import { authConfig } from "../auth/auth-config";
import { isSecretKey, presentedCredentials } from "../auth/authenticate";
import { type AppEnv } from "./app-env";

/** Three base64url parts: what a user token looks like, whether or not it is valid. */
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/**
 * Guards everything that writes the index, the catalog or configuration, and
 * every audit: the caller must send one of the active secret keys,
 * `Authorization: Bearer sk_…`. Publishable keys and user tokens never pass;
 * with no secret key configured, nothing does.
 */
export function adminAuth() {
  return createMiddleware<AppEnv>(async function adminAuthMiddleware(c, next) {
    const { bearer, apiKey, secret } = presentedCredentials(c);
    if (secret === null) {
      if ([apiKey, bearer].some((k) => k?.startsWith(PUBLISHABLE_KEY_PREFIX))) {
        throw new AppError("forbidden", "admin routes take a secret key only, never a publishable key");
      }
      if (bearer !== null && JWT_SHAPE.test(bearer)) throw new AppError("forbidden", "admin routes take a secret key only, never a user token");
    }
    const config = authConfig(c.env);
    if (config.secretKeyHashes.length === 0) throw new AppError("unauthorized", "admin API disabled: no secret key is configured (SECRET_KEY_HASHES)");
    if (secret === null || !(await isSecretKey(config, secret))) {
      throw new AppError("unauthorized", "secret key missing or not active: send Authorization: Bearer sk_…");
    }
    c.set("caller", { kind: "secret" });
    await next();
  });
}
