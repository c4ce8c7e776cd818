import { createMiddleware } from "hono/factory";
import { PUBLISHABLE_KEY_PREFIX, SECRET_KEY_PREFIX } from "../../../shared/auth/secret-key";
import { AppError } from "../../../shared/errors";
import { authConfig } from "../auth/auth-config";
import { isSecretKey } from "../auth/authenticate";
import { type AppEnv } from "./app-env";

/**
 * Guards everything that writes the index, the catalog or configuration, and
 * every audit: the caller must send one of the active secret keys,
 * `Authorization: Bearer sk_…`. Publishable keys and user tokens never pass;
 * with no secret key configured, nothing does.
 */
export function adminAuth() {
  return createMiddleware<AppEnv>(async function adminAuthMiddleware(c, next) {
    const header = c.req.header("authorization") ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7) : (c.req.header("x-api-key") ?? "");
    if (given.startsWith(PUBLISHABLE_KEY_PREFIX)) throw new AppError("forbidden", "admin routes take a secret key only, never a publishable key");
    const config = authConfig(c.env);
    if (config.secretKeyHashes.length === 0) throw new AppError("unauthorized", "admin API disabled: no secret key is configured (SECRET_KEY_HASHES)");
    if (!given.startsWith(SECRET_KEY_PREFIX) || !(await isSecretKey(config, given))) {
      throw new AppError("unauthorized", "secret key missing or not active: send Authorization: Bearer sk_…");
    }
    c.set("caller", { kind: "secret" });
    await next();
  });
}
