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
const KNOWN = new Set(["region", "categories"]);

/**
 * Validates a `PUT /v1/users/:id` body into a profile, or returns the problem
 * as `field: reason`. Absent fields are cleared (PUT replaces the profile).
 */
export function parseUserProfile(body: unknown): UserProfile | string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "body: must be a JSON object";
  const input = body as Record<string, unknown>;
  if (input.language !== undefined) return "language: not supported: the catalog has no language attribute to match a declared language against";
  const unknown = Object.keys(input).find((k) => !KNOWN.has(k));
  if (unknown !== undefined) return `${unknown}: unknown field (allowed: region, categories)`;
  const profile: UserProfile = { region: null, categories: [] };
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
