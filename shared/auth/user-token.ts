import { isValidId } from "../ids";
import { decodeBase64Url, encodeBase64Url } from "./base64url";

/**
 * User tokens are JWTs (RFC 7519) signed with HMAC-SHA256 (`HS256`), checked
 * here with Web Crypto alone, so the same code runs in the Worker, the
 * builder and tests. A JWT rather than a format of our own because every
 * backend language already has a library that signs one; HS256 only, so
 * the header cannot choose a weaker algorithm (`none`) or confuse a secret
 * with a public key.
 */
export interface UserTokenClaims {
  /** The user id the token acts for (ids.ts). */
  sub: string;
  /** Which deployment the token is for; a token minted for another service is refused. */
  aud: string;
  /** Expiry, epoch seconds. Required. */
  exp: number;
  iat?: number;
  nbf?: number;
  /** Set on the anonymous ids this service issues itself. */
  anon?: boolean;
}

/** One signing secret; `kid` names it in the token header, so several can be active while rotating. */
export interface TokenKey {
  kid: string;
  secret: string;
}

export type TokenProblem =
  "malformed" | "unsupported_algorithm" | "unknown_key" | "bad_signature" | "expired" | "not_yet_valid" | "wrong_audience" | "lifetime_too_long";

export type TokenCheck = { ok: true; claims: UserTokenClaims } | { ok: false; problem: TokenProblem; message: string };

export interface VerifyOptions {
  audience: string;
  nowMs: number;
  /** The furthest in the future `exp` may be: tokens are short-lived. */
  maxLifetimeS: number;
  /** Clock difference tolerated between the signer and us. */
  leewayS?: number;
}

const MAX_TOKEN_CHARS = 4096;
const ANONYMOUS_EXPIRED =
  "the anonymous token has expired and can no longer be renewed: call POST /v1/anonymous without it (no Authorization header) for a new anonymous id; renew before expiresAt to keep the same id";
/** Clock difference tolerated by default between the signer and us, seconds. */
export const TOKEN_LEEWAY_S = 30;
const encoder = new TextEncoder();
/** Imported HMAC keys by secret: importKey costs more than the verification itself. */
const importedKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = importedKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    importedKeys.set(secret, key);
  }
  return key;
}

/** Signs claims as a compact HS256 JWT with `key` (its kid in the header). */
export async function signUserToken(claims: UserTokenClaims, key: TokenKey): Promise<string> {
  const head = encodeBase64Url(encoder.encode(JSON.stringify({ alg: "HS256", typ: "JWT", kid: key.kid })));
  const body = encodeBase64Url(encoder.encode(JSON.stringify(claims)));
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(key.secret), encoder.encode(`${head}.${body}`));
  return `${head}.${body}.${encodeBase64Url(new Uint8Array(signature))}`;
}

/**
 * Checks a token's form, algorithm, signature (with the key its `kid`
 * names, or each key when it names none), then its claims. The signature
 * is checked before any claim is believed; Web Crypto's verify compares in
 * constant time.
 */
export async function verifyUserToken(token: string, keys: readonly TokenKey[], options: VerifyOptions): Promise<TokenCheck> {
  const fail = (problem: TokenProblem, message: string): TokenCheck => ({ ok: false, problem, message });
  const parts = token.length <= MAX_TOKEN_CHARS ? token.split(".") : [];
  if (parts.length !== 3) return fail("malformed", "the token is not a compact JWT (three base64url parts)");
  const [headPart, bodyPart, signaturePart] = parts as [string, string, string];
  const header = parseJsonPart(headPart);
  const signature = decodeBase64Url(signaturePart);
  if (!header || !signature) return fail("malformed", "the token's header or signature is not valid base64url JSON");
  if (header.alg !== "HS256" || (header.typ !== undefined && header.typ !== "JWT")) {
    return fail("unsupported_algorithm", "only HS256 tokens are accepted");
  }
  const candidates = header.kid === undefined ? keys : keys.filter((k) => k.kid === header.kid);
  if (candidates.length === 0) return fail("unknown_key", "the token names a signing key this service does not have");
  const signed = encoder.encode(`${headPart}.${bodyPart}`);
  let valid = false;
  for (const key of candidates) {
    if (await crypto.subtle.verify("HMAC", await hmacKey(key.secret), signature, signed)) {
      valid = true;
      break;
    }
  }
  if (!valid) return fail("bad_signature", "the token's signature does not match");

  const claims = parseJsonPart(bodyPart);
  if (!claims || !isValidId(claims.sub) || typeof claims.exp !== "number" || !Number.isFinite(claims.exp)) {
    return fail("malformed", "the token needs sub (a user id) and exp (epoch seconds)");
  }
  const nowS = options.nowMs / 1000;
  const leewayS = options.leewayS ?? TOKEN_LEEWAY_S;
  if (claims.exp + leewayS <= nowS) {
    // The signature held, so `anon` is this service's own word: an anonymous token comes from POST /v1/anonymous, not a backend.
    if (claims.anon === true) return fail("expired", ANONYMOUS_EXPIRED);
    return fail("expired", "the token has expired; ask your backend for a new one");
  }
  if (typeof claims.nbf === "number" && claims.nbf - leewayS > nowS) return fail("not_yet_valid", "the token is not valid yet (nbf)");
  if (claims.exp - nowS > options.maxLifetimeS + leewayS) {
    return fail("lifetime_too_long", `the token expires more than ${options.maxLifetimeS} s from now; sign short-lived tokens`);
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(options.audience)) return fail("wrong_audience", `the token's aud is not "${options.audience}"`);
  return {
    ok: true,
    claims: {
      sub: claims.sub,
      aud: options.audience,
      exp: claims.exp,
      ...(typeof claims.iat === "number" ? { iat: claims.iat } : {}),
      ...(claims.anon === true ? { anon: true } : {}),
    },
  };
}

function parseJsonPart(part: string): Record<string, unknown> | null {
  const bytes = decodeBase64Url(part);
  if (!bytes) return null;
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
