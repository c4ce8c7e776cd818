import { PUBLISHABLE_KEY_PREFIX, SECRET_KEY_PREFIX } from "../../shared/auth/secret-key";

/** A user the playground may act for, with the token that proves it. */
export interface PlaygroundUser {
  userId: string;
  token: string;
}

/** What the playground needs to call the API: a publishable key, and users with their tokens. */
export interface PlaygroundCredentials {
  publishableKey: string;
  users: PlaygroundUser[];
}

/**
 * The playground's address with credentials in its fragment
 * (`#key=pk_…&user=1:<token>&user=2:<token>`), as `npm start` prints it. A
 * fragment never leaves the browser: it is not sent to the server nor in a
 * Referer, and the page removes it from the address bar once read.
 */
export function playgroundUrl(baseUrl: string, credentials: PlaygroundCredentials): string {
  const params = new URLSearchParams({ key: credentials.publishableKey });
  for (const user of credentials.users) params.append("user", `${user.userId}:${user.token}`);
  return `${baseUrl.replace(/\/$/, "")}/playground/#${params.toString()}`;
}

/** Reads credentials from a fragment made by `playgroundUrl`; null when it holds none. Secret keys are refused. */
export function readFragment(hash: string): { credentials: PlaygroundCredentials | null; problem: string | null } {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const key = params.get("key");
  if (key === null) return { credentials: null, problem: null };
  const problem = keyProblem(key);
  if (problem) return { credentials: null, problem };
  const users: PlaygroundUser[] = [];
  for (const entry of params.getAll("user")) {
    // Ids may hold colons; a token (three base64url parts) never does.
    const colon = entry.lastIndexOf(":");
    if (colon > 0 && colon < entry.length - 1) users.push({ userId: entry.slice(0, colon), token: entry.slice(colon + 1) });
  }
  return { credentials: { publishableKey: key, users }, problem: null };
}

/** Why a string cannot be the playground's key, or null: only publishable keys belong in a browser. */
export function keyProblem(key: string): string | null {
  if (key.startsWith(SECRET_KEY_PREFIX)) return "that is a secret key: it must never be pasted into a web page; use a publishable key (pk_…)";
  if (!key.startsWith(PUBLISHABLE_KEY_PREFIX)) return `a publishable key starts with ${PUBLISHABLE_KEY_PREFIX}`;
  return null;
}
