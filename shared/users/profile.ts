import * as v from "valibot";
import { firstIssue, rankOf } from "../schema/issues";

/** What a user declares about themself: the cold-start inputs. */
export interface UserProfile {
  /** BCP 47 language tag, e.g. "en" or "pt-BR". */
  language: string | null;
  /** ISO 3166-1 alpha-2 country code, upper case. */
  region: string | null;
  /** Catalog categories the user says they like. */
  categories: string[];
}

export const EMPTY_PROFILE: UserProfile = { language: null, region: null, categories: [] };

const MAX_CATEGORIES = 32;
const ORDER = ["language", "region", "categories"];
const NOT_OBJECT = "body: must be a JSON object";
const CATEGORIES_RULE = `categories: an array of at most ${MAX_CATEGORIES} category names (1-64 characters each)`;

const entries = {
  language: v.nullish(
    v.pipe(
      v.string('language: a BCP 47 tag such as "en" or "pt-BR"'),
      v.regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'language: a BCP 47 tag such as "en" or "pt-BR"'),
      v.description('BCP 47 language tag, such as "en" or "pt-BR"'),
    ),
  ),
  region: v.nullish(
    v.pipe(
      v.string('region: an ISO 3166-1 alpha-2 code such as "US"'),
      v.regex(/^[A-Za-z]{2}$/, 'region: an ISO 3166-1 alpha-2 code such as "US"'),
      v.description("ISO 3166-1 alpha-2 country code (any case; stored upper case)"),
    ),
  ),
  categories: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(CATEGORIES_RULE), v.minLength(1, CATEGORIES_RULE), v.maxLength(64, CATEGORIES_RULE)), CATEGORIES_RULE),
      v.maxLength(MAX_CATEGORIES, CATEGORIES_RULE),
      v.description("Catalog categories the user likes"),
    ),
  ),
};

/**
 * The `PUT /v1/users/:id` body: absent fields are cleared (PUT replaces the
 * profile); unknown fields are refused. Output: the normalized profile.
 */
export const userProfileSchema = v.pipe(
  v.custom<Record<string, unknown>>((x) => typeof x === "object" && x !== null && !Array.isArray(x), NOT_OBJECT),
  v.strictObject(entries, (issue) =>
    issue.path?.at(-1)?.origin === "key" ? `${String(issue.path.at(-1)!.key)}: unknown field (allowed: language, region, categories)` : NOT_OBJECT,
  ),
  v.transform((p): UserProfile => ({ language: p.language ?? null, region: p.region?.toUpperCase() ?? null, categories: [...new Set(p.categories ?? [])] })),
);

/**
 * Validates a `PUT /v1/users/:id` body into a profile, or returns the problem
 * as `field: reason` (an unknown field first, then language, region,
 * categories).
 */
export function parseUserProfile(body: unknown): UserProfile | string {
  const result = v.safeParse(userProfileSchema, body, { abortEarly: false });
  return result.success ? result.output : parseUserProfileIssues(result.issues);
}

/** The problem, as `field: reason`, of the profile schema's issues: not an object, then an unknown field, then language, region, categories. */
export function parseUserProfileIssues(issues: readonly [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): string {
  return firstIssue(issues, (issue) => {
    const first = issue.path?.[0];
    if (!first) return [0];
    return first.origin === "key" ? [1] : [2 + rankOf(ORDER, first.key)];
  }).message;
}
