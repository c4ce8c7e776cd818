import { encodeBase64Url } from "./base64url";

/** Secret keys (servers, admin) start with this; publishable keys (browsers) with `pk_`. */
export const SECRET_KEY_PREFIX = "sk_";
export const PUBLISHABLE_KEY_PREFIX = "pk_";

/** A new key: the prefix and 32 random bytes, base64url. */
export function generateKey(prefix: string): string {
  return prefix + encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * How a secret key is stored: the hex SHA-256 of its text. A plain (fast)
 * hash suffices because keys carry 256 random bits: there is nothing to
 * guess a dictionary from, unlike passwords.
 */
export async function hashSecretKey(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Equal lengths compared without early exit, so the time taken says nothing about where they differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
