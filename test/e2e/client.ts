import { inject } from "vitest";
import { createClient } from "../../client";
import { signUserToken, type TokenKey } from "../../shared/auth/user-token";

/**
 * How the e2e suites call the stack, through the typed client (client/index.ts):
 * as the customer's server (secret key), as a browser (publishable key from
 * its origin, with a user's token), or with no credentials at all.
 */
export interface StackCredentials {
  secretKey: string;
  publishableKey: string;
  origin: string;
  tokenKey: TokenKey;
  audience: string;
}

/**
 * What the suites read of an answer, the typed client's or fetch's: an error
 * envelope is read through it, as the client types only the success bodies.
 */
export interface Answer {
  status: number;
  headers: Headers;
  json(): Promise<unknown>;
  text(): Promise<string>;
  clone(): { text(): Promise<string> };
}

/** The shared stack's credentials, from the global setup. */
export function sharedCredentials(): StackCredentials {
  return {
    secretKey: inject("adminKey"),
    publishableKey: inject("publishableKey"),
    origin: inject("origin"),
    tokenKey: inject("tokenKey"),
    audience: inject("audience"),
  };
}

/**
 * `fetch` with the secret key added, unless the request brings its own
 * credentials: only for requests malformed on purpose, which the typed
 * client's types would not let through.
 */
export function serverFetch(credentials: Pick<StackCredentials, "secretKey">) {
  return (url: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (!headers.has("Authorization") && !headers.has("X-Api-Key")) headers.set("Authorization", `Bearer ${credentials.secretKey}`);
    return fetch(url, { ...init, headers });
  };
}

/** A user token as the customer's backend signs it; a negative `ttlS` makes one already expired. */
export function tokenFor(credentials: StackCredentials, userId: string, ttlS = 600, overrides: { secret?: string; audience?: string } = {}): Promise<string> {
  const nowS = Math.floor(Date.now() / 1000);
  return signUserToken(
    { sub: userId, aud: overrides.audience ?? credentials.audience, exp: nowS + ttlS, iat: nowS },
    { kid: credentials.tokenKey.kid, secret: overrides.secret ?? credentials.tokenKey.secret },
  );
}

/**
 * The typed client (client/index.ts) as a browser on the key's origin,
 * acting for `token`'s user when one is given (a function is read on every
 * request, as a page refreshing its token would). `headers` adds to every
 * request (a client address of its own, for the rate limits).
 */
export function browserClient(credentials: StackCredentials, token?: string | (() => string | undefined), headers: Record<string, string> = {}) {
  return createClient(inject("baseUrl"), { publishableKey: credentials.publishableKey, userToken: token, headers: { Origin: credentials.origin, ...headers } });
}

/** The typed client with no credentials at all (what anyone on the network can send). */
export function keylessClient() {
  return createClient(inject("baseUrl"));
}

/** The typed client as the customer's server, with the secret key. */
export function serverClient(credentials: Pick<StackCredentials, "secretKey">) {
  return createClient(inject("baseUrl"), { secretKey: credentials.secretKey });
}
