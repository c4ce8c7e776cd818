import { fieldMessage } from "./schema/field-message";

/**
 * Identifiers (users, items, events, impressions) are 1..128 characters of
 * letters, digits and `_ - . : @`, not dots alone: safe in KV keys, cache
 * keys, SQL and logs, and as a URL path segment (a URL drops `.` and `..`
 * segments, `%2e` spellings too, so `DELETE /v1/users/..` could never reach
 * that user). Redis keys rely on ids holding no `%`, `|` or glob
 * metacharacter (shared/online/redis-keys.ts).
 */
export const ID_PATTERN = /^(?!\.+$)[A-Za-z0-9_.:@-]{1,128}$/;

/** The characters of an id, as a regular expression's character class. */
export const ID_CHARACTERS = "[A-Za-z0-9_.:@-]";

/**
 * The source of a pattern matching one id inside longer text, where the id
 * ends at one of the characters `ends` (none of them an id character) or
 * at the end of the text: ID_PATTERN's rule, not only dots included. Its
 * lookahead is bounded by the id's own end; ID_PATTERN's, anchored at `$`,
 * would hold only the text as a whole to it.
 */
export function embeddedIdSource(ends: string): string {
  return `(?!\\.+(?:[${ends}]|$))${ID_CHARACTERS}{1,128}`;
}

/** ID_PATTERN in words, for ids of at most `max` characters (an experiment's 64, a variant's 32). */
export function idRule(max: number): string {
  return `1-${max} characters of A-Z a-z 0-9 _ . : @ -, not only dots`;
}

/** ID_PATTERN in words, for messages. */
export const ID_RULE = idRule(128);

export function isValidId(value: unknown): value is string {
  return typeof value === "string" && ID_PATTERN.test(value);
}

/** What a body's id field is told: "required; ..." when absent, the type got when not a string, the rule otherwise. */
export const idFieldMessage = fieldMessage({
  missing: `required; ${ID_RULE}`,
  types: ["string"],
  expected: `a string (${ID_RULE})`,
  invalid: `must be ${ID_RULE}`,
});
