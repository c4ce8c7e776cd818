import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseUserProfile, type UserProfile } from "./profile";

/** The hand-written parser the schema replaced: the reference it must agree with, answer for answer. */
const MAX_CATEGORIES = 32;
const KNOWN = new Set(["region", "categories"]);

/**
 * Validates a `PUT /v1/users/:id` body into a profile, or returns the problem
 * as `field: reason`. Absent fields are cleared (PUT replaces the profile).
 */
function referenceParseUserProfile(body: unknown): UserProfile | string {
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

const value = fc.oneof(
  fc.constantFrom<unknown>(
    undefined,
    null,
    "",
    "en",
    "pt-BR",
    "e",
    "english language",
    "US",
    "us",
    "USA",
    1,
    true,
    [],
    ["Drama"],
    ["Drama", "Drama"],
    [""],
    ["x".repeat(65)],
    [1],
  ),
  fc.constant<unknown>(Array.from({ length: 33 }, (_, i) => `c${i}`)),
  fc.json({ maxDepth: 2 }).map((t) => JSON.parse(t) as unknown),
);
const body = fc.oneof(
  { arbitrary: fc.record({ language: value, region: value, categories: value }, { requiredKeys: [] }).map((b) => b as unknown), weight: 6 },
  { arbitrary: fc.tuple(fc.string({ maxLength: 6 }), value, value).map(([k, x, y]) => ({ [k]: x, language: y }) as unknown), weight: 2 },
  { arbitrary: value, weight: 1 },
);

describe("user profile schema against the hand-written parser it replaced", () => {
  it("gives the same profile or the same problem on every body (3000 cases)", () => {
    fc.assert(
      fc.property(body, (b) => {
        const stripped =
          b !== null && typeof b === "object" && !Array.isArray(b) ? Object.fromEntries(Object.entries(b).filter(([, x]) => x !== undefined)) : b;
        expect(parseUserProfile(stripped)).toEqual(referenceParseUserProfile(stripped));
      }),
      { numRuns: 3000, seed: 1516 },
    );
  });
});
