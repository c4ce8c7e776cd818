import * as v from "valibot";
import { documentedAs } from "../schema/documented";
import { firstIssue, rankOf } from "../schema/issues";

/**
 * What a user declares about themself: the cold-start inputs. There is no
 * language: the catalog has no language attribute to match it against, so a
 * declared language would be stored and never used (the API refuses it).
 */
export interface UserProfile {
  /** ISO 3166-1 alpha-2 country code, upper case: the region of the regional sources and blocks when Cloudflare does not know the caller's. */
  region: string | null;
  /** Catalog categories the user says they like. */
  categories: string[];
}

export const EMPTY_PROFILE: UserProfile = { region: null, categories: [] };

const MAX_CATEGORIES = 32;
const ORDER = ["region", "categories"];
const NOT_OBJECT = "body: must be a JSON object";
const CATEGORIES_RULE = `categories: an array of at most ${MAX_CATEGORIES} category names (1-64 characters each)`;
const REGION_RULE = 'region: an ISO 3166-1 alpha-2 code such as "US"';
const LANGUAGE_REFUSED = "language: not supported: the catalog has no language attribute to match a declared language against";

const entries = {
  language: v.optional(
    v.pipe(
      v.custom<never>(() => false, LANGUAGE_REFUSED),
      documentedAs<never>({ not: {}, description: "Not supported, and refused: the catalog has no language attribute to match it against." }),
    ),
  ),
  region: v.nullish(
    v.pipe(v.string(REGION_RULE), v.regex(/^[A-Za-z]{2}$/, REGION_RULE), v.description("ISO 3166-1 alpha-2 country code (any case; stored upper case).")),
  ),
  categories: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(CATEGORIES_RULE), v.minLength(1, CATEGORIES_RULE), v.maxLength(64, CATEGORIES_RULE)), CATEGORIES_RULE),
      v.maxLength(MAX_CATEGORIES, CATEGORIES_RULE),
      v.description("Catalog categories the user likes."),
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
    issue.path?.at(-1)?.origin === "key" ? `${String(issue.path.at(-1)!.key)}: unknown field (allowed: region, categories)` : NOT_OBJECT,
  ),
  v.transform((p): UserProfile => ({ region: p.region?.toUpperCase() ?? null, categories: [...new Set(p.categories ?? [])] })),
);

/**
 * Validates a `PUT /v1/users/:id` body into a profile, or returns the problem
 * as `field: reason` (a language first, then an unknown field, then region,
 * categories).
 */
export function parseUserProfile(body: unknown): UserProfile | string {
  const result = v.safeParse(userProfileSchema, body, { abortEarly: false });
  return result.success ? result.output : parseUserProfileIssues(result.issues);
}

/** The problem, as `field: reason`, of the profile schema's issues, in the order parseUserProfile documents. */
export function parseUserProfileIssues(issues: readonly [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): string {
  return firstProfileIssue(issues).message;
}

/** The profile schema's issue parseUserProfileIssues words: its path names the field at fault (none for the body itself). */
export function firstProfileIssue(issues: readonly [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): v.BaseIssue<unknown> {
  return firstIssue(issues, (issue) => {
    const first = issue.path?.[0];
    if (!first) return [0];
    if (first.key === "language") return [1];
    return first.origin === "key" ? [2] : [3 + rankOf(ORDER, first.key)];
  });
}
