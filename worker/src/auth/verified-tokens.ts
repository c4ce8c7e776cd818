import { TOKEN_LEEWAY_S, type TokenCheck, type UserTokenClaims, verifyUserToken } from "../../../shared/auth/user-token";
import { type AuthConfig } from "./auth-config";

/**
 * Tokens this isolate verified lately, by their whole text: a page sends the
 * same token with every request, and a repeat then costs a map lookup and
 * an expiry check instead of an HMAC. The key is the token itself, its
 * signature included, so only the exact bytes that verified can hit; a hit
 * is still refused once expired; refusals are never kept; and the whole
 * memo is dropped when the credentials configuration changes (a rotated or
 * removed secret). At most MAX_ENTRIES tokens of a few hundred bytes each
 * (about 1 MB), oldest first out.
 */
const MAX_ENTRIES = 4000;
let memo: { config: AuthConfig | null; verified: Map<string, UserTokenClaims> } = { config: null, verified: new Map() };

export async function verifyTokenMemoized(config: AuthConfig, token: string, nowMs: number, maxLifetimeS: number): Promise<TokenCheck> {
  if (memo.config !== config) memo = { config, verified: new Map() };
  const known = memo.verified.get(token);
  if (known) {
    if (known.exp + TOKEN_LEEWAY_S > nowMs / 1000) return { ok: true, claims: known };
    memo.verified.delete(token);
  }
  const check = await verifyUserToken(token, config.tokenKeys, { audience: config.audience, nowMs, maxLifetimeS });
  if (check.ok) {
    if (memo.verified.size >= MAX_ENTRIES) memo.verified.delete(memo.verified.keys().next().value!);
    memo.verified.set(token, check.claims);
  }
  return check;
}
