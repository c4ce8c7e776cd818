import { PUBLISHABLE_KEY_PREFIX } from "../../../shared/auth/secret-key";
import { type TokenKey } from "../../../shared/auth/user-token";

/** The credentials this deployment accepts, parsed once per isolate from its bindings. */
export interface AuthConfig {
  /** SHA-256 digests of the active secret keys, 32 bytes each. */
  secretKeyHashes: Uint8Array[];
  /** Publishable key -> the exact origins it may be used from. */
  publishableKeys: Map<string, Set<string>>;
  /** Every origin of every publishable key: what CORS allows. */
  allowedOrigins: Set<string>;
  /** User-token signing secrets; the first signs the anonymous ids this Worker issues. */
  tokenKeys: TokenKey[];
  audience: string;
  /** What was wrong in the configuration (logged once; the faulty entry is left out). */
  problems: string[];
}

/** User tokens may expire at most this far ahead. */
export const MAX_USER_TOKEN_LIFETIME_S = 24 * 3600;
/** Anonymous ids this Worker issues live this long (a returning visitor refreshes theirs before then). */
export const ANONYMOUS_TOKEN_LIFETIME_S = 30 * 86_400;
const MIN_TOKEN_SECRET_CHARS = 32;
const ORIGIN_PATTERN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/;

let memo: { source: string; config: AuthConfig } | null = null;

export function authConfig(env: Env): AuthConfig {
  const source = [env.SECRET_KEY_HASHES, env.USER_TOKEN_SECRETS, env.PUBLISHABLE_KEYS, env.TOKEN_AUDIENCE].join("\u0000");
  if (memo?.source !== source) {
    const config = parseAuthConfig(env);
    for (const problem of config.problems) console.error(JSON.stringify({ level: "error", message: "auth configuration", problem }));
    memo = { source, config };
  }
  return memo.config;
}

export function parseAuthConfig(env: Pick<Env, "SECRET_KEY_HASHES" | "USER_TOKEN_SECRETS" | "PUBLISHABLE_KEYS" | "TOKEN_AUDIENCE">): AuthConfig {
  const problems: string[] = [];
  const secretKeyHashes: Uint8Array[] = [];
  for (const hex of list(env.SECRET_KEY_HASHES)) {
    if (/^[0-9a-f]{64}$/i.test(hex)) secretKeyHashes.push(Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16)));
    else problems.push("SECRET_KEY_HASHES: an entry is not a hex SHA-256 digest (64 hex digits)");
  }
  const tokenKeys: TokenKey[] = [];
  for (const entry of list(env.USER_TOKEN_SECRETS)) {
    const colon = entry.indexOf(":");
    const kid = entry.slice(0, colon);
    const secret = entry.slice(colon + 1);
    if (colon > 0 && secret.length >= MIN_TOKEN_SECRET_CHARS) tokenKeys.push({ kid, secret });
    else problems.push(`USER_TOKEN_SECRETS: entries are kid:secret with a secret of at least ${MIN_TOKEN_SECRET_CHARS} characters`);
  }
  const publishableKeys = new Map<string, Set<string>>();
  const allowedOrigins = new Set<string>();
  let declared: unknown = {};
  try {
    declared = JSON.parse(env.PUBLISHABLE_KEYS || "{}");
  } catch {
    problems.push("PUBLISHABLE_KEYS is not JSON");
  }
  for (const [key, origins] of Object.entries(declared !== null && typeof declared === "object" ? declared : {})) {
    if (!key.startsWith(PUBLISHABLE_KEY_PREFIX) || !Array.isArray(origins)) {
      problems.push(`PUBLISHABLE_KEYS: keys start with ${PUBLISHABLE_KEY_PREFIX} and map to an array of origins`);
      continue;
    }
    // Only exact scheme://host[:port] origins: never "*" and never "null" (sandboxed frames, file: pages).
    const valid = origins.filter((o): o is string => typeof o === "string" && ORIGIN_PATTERN.test(o));
    if (valid.length < origins.length) problems.push(`PUBLISHABLE_KEYS: origins of ${key.slice(0, 8)}… must be exact, like https://shop.example`);
    publishableKeys.set(key, new Set(valid));
    for (const o of valid) allowedOrigins.add(o);
  }
  return { secretKeyHashes, publishableKeys, allowedOrigins, tokenKeys, audience: env.TOKEN_AUDIENCE || "edge-recommender", problems };
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
