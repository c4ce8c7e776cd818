import { encodeBase64Url } from "../../../shared/auth/base64url";
import { signUserToken, verifyUserToken } from "../../../shared/auth/user-token";
import { AppError } from "../../../shared/errors";
import { ANONYMOUS_TOKEN_LIFETIME_S, type AuthConfig } from "./auth-config";

/** Anonymous user ids: this prefix and 128 random bits, so they never collide with each other. */
export const ANONYMOUS_ID_PREFIX = "anon_";

export function newAnonymousId(): string {
  return ANONYMOUS_ID_PREFIX + encodeBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}

/** A token for an anonymous id, signed with the first user-token secret, marked `anon`. */
export async function signAnonymousToken(config: AuthConfig, userId: string, nowMs: number): Promise<{ token: string; expiresAt: string }> {
  const key = config.tokenKeys[0];
  if (!key) throw new AppError("dependency_unavailable", "anonymous ids are off: no user-token secret is configured (USER_TOKEN_SECRETS)");
  const exp = Math.floor(nowMs / 1000) + ANONYMOUS_TOKEN_LIFETIME_S;
  const token = await signUserToken({ sub: userId, aud: config.audience, exp, iat: Math.floor(nowMs / 1000), anon: true }, key);
  return { token, expiresAt: new Date(exp * 1000).toISOString() };
}

/** The anonymous id a token proves, or a 401 saying why not. */
export async function verifyAnonymousToken(config: AuthConfig, token: string, nowMs: number): Promise<string> {
  const check = await verifyUserToken(token, config.tokenKeys, { audience: config.audience, nowMs, maxLifetimeS: ANONYMOUS_TOKEN_LIFETIME_S });
  if (!check.ok) throw new AppError("invalid_token", `anonymousToken: ${check.message}`, { field: "anonymousToken", reason: check.problem });
  if (!isAnonymousClaim(check.claims))
    throw new AppError("invalid_token", "anonymousToken is not an anonymous id this service issued", { field: "anonymousToken" });
  return check.claims.sub;
}

/**
 * Whether claims are an anonymous id's as this Worker signs them: marked
 * `anon` and naming an `anon_` id. The mark alone is not enough: a backend
 * signing with the same secret could set it on a real user's token, which
 * would then live 30 days and could be merged (and so emptied) into another user.
 */
export function isAnonymousClaim(claims: { sub: string; anon?: boolean }): boolean {
  return claims.anon === true && claims.sub.startsWith(ANONYMOUS_ID_PREFIX);
}
