import { type BaseIssue, type ErrorMessage, type ObjectEntries } from "valibot";

type Issue = BaseIssue<unknown>;

/** The keys of an issue's path, outermost first (`["events", 3, "timestamp"]`). */
export function issuePath(issue: Issue): (string | number)[] {
  return (issue.path ?? []).map((item) => item.key as string | number);
}

/**
 * The issue a validator checking one thing after another would have met
 * first: the least `rank` (compared element by element), ties to the
 * earlier issue. Schemas collect every issue (`abortEarly: false`); this
 * is how a route keeps answering the one problem, in the order, that its
 * clients have always been told.
 */
export function firstIssue<I extends Issue>(issues: readonly [I, ...I[]], rank: (issue: I) => readonly number[]): I {
  let best = issues[0];
  let bestRank = rank(best);
  for (const issue of issues.slice(1)) {
    const r = rank(issue);
    if (compareRanks(r, bestRank) < 0) {
      best = issue;
      bestRank = r;
    }
  }
  return best;
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/** Where `key` stands in `order`; unknown keys rank after every known one. */
export function rankOf(order: readonly string[], key: unknown): number {
  const i = typeof key === "string" ? order.indexOf(key) : -1;
  return i < 0 ? order.length : i;
}

/** A strict object's issue for a key it does not list (a missing key's issue expects that key instead). */
export function isUnknownKeyIssue(issue: Issue): boolean {
  return issue.type === "strict_object" && issue.expected === "never";
}

/**
 * An object schema's message: for a missing key, the message of that key's
 * own schema (so "user_id is required" reads the same whether the key is
 * absent or wrong); otherwise `fallback`.
 */
export function entryMessage(entries: ObjectEntries, fallback: string): ErrorMessage<Issue> {
  return (issue) => {
    const key = issue.path?.at(-1)?.key;
    const entry = typeof key === "string" && Object.hasOwn(entries, key) ? entries[key] : undefined;
    const message = entry && "message" in entry ? (entry.message as ErrorMessage<Issue> | undefined) : undefined;
    if (message === undefined) return fallback;
    return typeof message === "function" ? message(issue) : message;
  };
}
