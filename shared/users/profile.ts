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
const KNOWN = new Set(["language", "region", "categories"]);

/**
 * Validates a `PUT /v1/users/:id` body into a profile, or returns the problem
 * as `field: reason`. Absent fields are cleared (PUT replaces the profile).
 */
export function parseUserProfile(body: unknown): UserProfile | string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "body: must be a JSON object";
  const input = body as Record<string, unknown>;
  const unknown = Object.keys(input).find((k) => !KNOWN.has(k));
  if (unknown !== undefined) return `${unknown}: unknown field (allowed: language, region, categories)`;
  const profile: UserProfile = { language: null, region: null, categories: [] };
  if (input.language !== undefined && input.language !== null) {
    if (typeof input.language !== "string" || !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(input.language)) {
      return 'language: a BCP 47 tag such as "en" or "pt-BR"';
    }
    profile.language = input.language;
  }
  if (input.region !== undefined && input.region !== null) {
    if (typeof input.region !== "string" || !/^[A-Za-z]{2}$/.test(input.region)) {
      return 'region: an ISO 3166-1 alpha-2 code such as "US"';
    }
    profile.region = input.region.toUpperCase();
  }
  if (input.categories !== undefined) {
    const c = input.categories;
    if (!Array.isArray(c) || c.length > MAX_CATEGORIES || !c.every((x) => typeof x === "string" && x.length > 0 && x.length <= 64)) {
      return `categories: an array of at most ${MAX_CATEGORIES} category names (1-64 characters each)`;
    }
    profile.categories = [...new Set(c as string[])];
  }
  return profile;
}
