import { type Context } from "hono";
import { createMiddleware } from "hono/factory";
import { constantTimeEqual, hashSecretKey, SECRET_KEY_PREFIX } from "../../../shared/auth/secret-key";
import { AppError } from "../../../shared/errors";
import { type AppEnv } from "../http/app-env";
import { ANONYMOUS_TOKEN_LIFETIME_S, type AuthConfig, authConfig, MAX_USER_TOKEN_LIFETIME_S } from "./auth-config";
import { ANONYMOUS_ID_PREFIX, isAnonymousClaim } from "./anonymous-id";
import { enforceLimit } from "./rate-limit";
import { verifyTokenMemoized } from "./verified-tokens";

/**
 * Establishes the caller of every API route: a secret key (`Authorization:
 * Bearer sk_…` or `X-Api-Key: sk_…`), or a publishable key (`X-Api-Key:
 * pk_…`) sent from one of its origins, with an optional user token
 * (`Authorization: Bearer <JWT>`) naming the user it acts for. Publishable
 * callers are rate limited per key and client before their token is checked.
 */
export function authenticate() {
  return createMiddleware<AppEnv>(async function authenticateMiddleware(c, next) {
    const config = authConfig(c.env);
    const { bearer, apiKey, secret } = presentedCredentials(c);
    if (secret !== null) {
      if (!(await isSecretKey(config, secret))) throw new AppError("invalid_api_key", "this secret key is not active");
      c.set("caller", { kind: "secret" });
      return next();
    }
    if (apiKey === null) {
      throw new AppError("unauthorized", "send X-Api-Key: <publishable key> from a browser, or Authorization: Bearer <secret key> from a server");
    }
    const origins = config.publishableKeys.get(apiKey);
    if (!origins) throw new AppError("invalid_api_key", "this publishable key is unknown or revoked");
    const origin = callerOrigin(c.req.raw);
    if (origin === undefined || !origins.has(origin)) {
      throw new AppError("origin_not_allowed", "this publishable key may not be used from this origin", { origin: origin ?? null });
    }
    const client = c.req.header("cf-connecting-ip") ?? "unknown";
    await enforceLimit(c.env.CLIENT_RATE_LIMIT, `${apiKey}|${client}`, "requests from this client");
    let userId: string | null = null;
    let anonymous = false;
    if (bearer !== null) {
      const check = await verifyTokenMemoized(config, bearer, Date.now(), Math.max(MAX_USER_TOKEN_LIFETIME_S, ANONYMOUS_TOKEN_LIFETIME_S));
      if (!check.ok) throw new AppError("invalid_token", check.message, { reason: check.problem });
      if (check.claims.anon === true && !isAnonymousClaim(check.claims)) {
        throw new AppError("invalid_token", `a token marked anon must name an ${ANONYMOUS_ID_PREFIX} id this service issued, not "${check.claims.sub}"`, {
          reason: "anonymous_subject",
        });
      }
      // The long lifetime is for the anonymous ids this Worker signs; a backend's tokens are short-lived.
      if (!check.claims.anon && check.claims.exp - Date.now() / 1000 > MAX_USER_TOKEN_LIFETIME_S + 30) {
        throw new AppError("invalid_token", `user tokens may expire at most ${MAX_USER_TOKEN_LIFETIME_S} s ahead`, { reason: "lifetime_too_long" });
      }
      userId = check.claims.sub;
      anonymous = check.claims.anon === true;
    }
    c.set("caller", { kind: "publishable", key: apiKey, client, userId, anonymous });
    return next();
  });
}

/**
 * What a request presents, read one way for every route: the bearer of an
 * `Authorization: Bearer <credential>` header (the scheme in any case, as
 * RFC 9110 §11.1 has it; any other Authorization is refused), the
 * `X-Api-Key` header, and the secret key among them (X-Api-Key first).
 */
export function presentedCredentials(c: Context<AppEnv>): { bearer: string | null; apiKey: string | null; secret: string | null } {
  const authorization = c.req.header("authorization") ?? "";
  const bearer = /^bearer +[^\s]+$/i.exec(authorization) ? authorization.replace(/^bearer +/i, "") : null;
  if (authorization && bearer === null) throw new AppError("unauthorized", "Authorization must be: Bearer <secret key or user token>");
  const apiKey = c.req.header("x-api-key") ?? null;
  const secret = apiKey?.startsWith(SECRET_KEY_PREFIX) ? apiKey : bearer?.startsWith(SECRET_KEY_PREFIX) ? bearer : null;
  return { bearer, apiKey, secret };
}

/**
 * The page a browser request comes from: its Origin header, else the
 * request's own origin when the browser says the page is on it
 * (`Sec-Fetch-Site: same-origin`), since browsers send no Origin with a
 * same-origin GET (the playground at /playground calling this API). No
 * script can set either header; outside a browser both could be forged
 * anyway, which is why the origin binding only guards browsers.
 */
function callerOrigin(request: Request): string | undefined {
  const origin = request.headers.get("origin");
  if (origin !== null) return origin;
  return request.headers.get("sec-fetch-site") === "same-origin" ? new URL(request.url).origin : undefined;
}

/** Hashes the candidate once and compares it with every active digest, without early exit. */
export async function isSecretKey(config: AuthConfig, candidate: string): Promise<boolean> {
  const digest = Uint8Array.from((await hashSecretKey(candidate)).match(/../g)!, (b) => parseInt(b, 16));
  let found = false;
  for (const stored of config.secretKeyHashes) found = constantTimeEqual(digest, stored) || found;
  return found;
}
