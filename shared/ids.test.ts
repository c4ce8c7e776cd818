import { describe, expect, it } from "vitest";
import { ID_PATTERN, ID_RULE, idFieldMessage, isValidId } from "./ids";

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
});
