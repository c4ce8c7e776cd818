import { describe, expect, it } from "vitest";
import { embeddedIdSource, ID_PATTERN, ID_RULE, idFieldMessage, idRule, isValidId } from "./ids";

describe("the id rule", () => {
  it("refuses ids of dots alone: a URL drops . and .. as path segments, so such a user could never be erased by path", () => {
    for (const id of [".", "..", "...", ".".repeat(128)]) {
      expect(isValidId(id), id).toBe(false);
      expect(ID_PATTERN.test(id), id).toBe(false);
    }
    expect(ID_RULE).toMatch(/not only dots/);
    expect(idFieldMessage({ input: ".." })).toBe(`must be ${ID_RULE}`);
  });

  it("keeps every id that holds something besides dots", () => {
    for (const id of ["a", ".a", "a.", "..a", "a..b", ".:.", "._", "@", "-", "tt0111161:v2@us", `.${"x".repeat(127)}`]) expect(isValidId(id), id).toBe(true);
    for (const id of ["", "a b", "a/b", "x".repeat(129), `.${"x".repeat(128)}`, "a%3Ab", "a|b"]) expect(isValidId(id), id).toBe(false);
  });

  it("holds each id inside longer text to the rule on its own (embeddedIdSource)", () => {
    const alone = new RegExp(`^${embeddedIdSource("=")}$`);
    const pair = new RegExp(`^${embeddedIdSource("=")}=${embeddedIdSource("=")}$`);
    const ids = [".", "..", "...", "a", ".a", "a.", "..a", "a..b", ".:.", "@", "", "a b", "x".repeat(128), "x".repeat(129), `.${"x".repeat(127)}`];
    for (const id of ids) {
      expect(alone.test(id), id).toBe(ID_PATTERN.test(id));
      // First or second of a pair: ID_PATTERN's lookahead, anchored at the end, held only the last id to the dots rule.
      expect(pair.test(`${id}=b`), `${id}=b`).toBe(ID_PATTERN.test(id));
      expect(pair.test(`b=${id}`), `b=${id}`).toBe(ID_PATTERN.test(id));
    }
  });

  it("says the rule for shorter ids in the same words", () => {
    expect(ID_RULE).toBe(idRule(128));
    expect(idRule(64)).toBe("1-64 characters of A-Z a-z 0-9 _ . : @ -, not only dots");
  });
});
