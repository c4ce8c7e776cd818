import { hc } from "hono/client";
// `import type`, not `import { type … }`: under verbatimModuleSyntax the latter keeps a bare import of the
// Worker in the emitted code, and a browser bundle of this client would carry the whole Worker.
import type { AppType } from "../worker/src/app";

/** Credentials a client sends; each may be a value or a function read on every request (a token refreshed by the page). */
export interface ClientOptions {
  /** `pk_…`: browsers; bound to the page's origin. */
  publishableKey?: string;
  /** The user's token (JWT signed by your backend, or from `POST /v1/anonymous`); sent as `Authorization: Bearer`. */
  userToken?: string | (() => string | undefined);
  /** `sk_…`: servers only; acts for any user and on /admin. Never ship it to a browser. */
  secretKey?: string;
  /** Extra headers on every request (e.g. `Origin` when calling from Node as a browser would). */
  headers?: Record<string, string>;
  /** A fetch of your own (tests, retries); the global fetch otherwise. */
  fetch?: typeof fetch;
}

/**
 * A typed client of the Worker's API on hono/client: paths, methods, inputs
 * and JSON outputs come from the app's own route types (worker/src/app.ts
 * AppType), so a renamed field or route fails the caller's type check.
 *
 * ```ts
 * const api = createClient("https://recs.example", { publishableKey: "pk_…", userToken: () => session.token });
 * const res = await api.v1.recommendations.$get({ query: { user_id: "42", limit: "10" } });
 * ```
 */
export function createClient(baseUrl: string, options: ClientOptions = {}) {
  return hc<AppType>(baseUrl, {
    fetch: options.fetch,
    headers: () => {
      const headers: Record<string, string> = { ...options.headers };
      if (options.publishableKey) headers["X-Api-Key"] = options.publishableKey;
      const token = typeof options.userToken === "function" ? options.userToken() : options.userToken;
      const bearer = options.secretKey ?? token;
      if (bearer) headers.Authorization = `Bearer ${bearer}`;
      return headers;
    },
  });
}

export type Client = ReturnType<typeof createClient>;
export type { AppType };
