import { describe, expect, it } from "vitest";
import { ID_RULE } from "../../ids";
import { DEFAULT_POLICY, policyProblem } from "./policy-config";

describe("policyProblem", () => {
  it("accepts the default policy and each rule kind", () => {
    expect(policyProblem(DEFAULT_POLICY)).toBeNull();
    const rules = [
      { kind: "pin", itemId: "858", position: 1 },
      { kind: "boost", match: { category: "Drama" }, by: 0.5 },
      { kind: "bury", match: { itemId: "1" }, by: 2 },
      { kind: "exclude", match: { yearBefore: 1950 } },
    ];
    expect(policyProblem({ rules })).toBeNull();
  });

  it("names the problem of every malformed rule instead of throwing", () => {
    const bad: [unknown, RegExp][] = [
      [null, /rules\[0\]: a rule must be an object/],
      [[], /a rule must be an object/],
      ["pin", /a rule must be an object/],
      [{}, /kind must be/],
      [{ kind: "shuffle" }, /kind must be/],
      [{ kind: "pin", itemId: "1" }, /position >= 1/],
      [{ kind: "pin", itemId: "1", position: 0 }, /position >= 1/],
      [{ kind: "pin", itemId: "1", position: 1, extra: true }, /unknown field "extra"/],
      [{ kind: "boost", match: null, by: 1 }, /match needs/],
      [{ kind: "boost", match: {}, by: 1 }, /match needs/],
      [{ kind: "boost", match: { category: 3 }, by: 1 }, /match.category/],
      [{ kind: "boost", match: { genre: "Drama" }, by: 1 }, /unknown match field "genre"/],
      [{ kind: "boost", match: { category: "Drama" } }, /by >= 0/],
      [{ kind: "bury", match: { category: "Drama" }, by: -1 }, /by >= 0/],
      [{ kind: "exclude", match: { yearBefore: "1950" } }, /yearBefore/],
    ];
    for (const [rule, problem] of bad) expect(policyProblem({ rules: [rule] }), JSON.stringify(rule)).toMatch(problem);
  });

  it("knows fields and rule kinds by its own names, not those every object inherits", () => {
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      expect(policyProblem(JSON.parse(`{"${name}": 1}`)), name).toBe(`unknown policy field "${name}"`);
      expect(policyProblem({ rules: [{ kind: name }] }), name).toBe("rules[0]: kind must be pin, boost, bury or exclude");
    }
  });

  it("takes counts and positions as integers only", () => {
    expect(policyProblem({ maxPerCategory: 2, frequencyCap: 3, explorationFrom: 4, mmrLambda: 0.5, freshBoost: 0.25 })).toBeNull();
    expect(policyProblem({ explorationFrom: 2.5 })).toBe("explorationFrom must be an integer from 1 to 100");
    expect(policyProblem({ frequencyCap: 1.5 })).toBe("frequencyCap must be an integer from 0 to 1000");
    expect(policyProblem({ maxPerCategory: 0.5 })).toBe("maxPerCategory must be an integer from 0 to 100");
    expect(policyProblem({ mmrLambda: 2 })).toBe("mmrLambda must be a number from 0 to 1");
  });

  it("holds the item ids of pins and matches to the id rule", () => {
    expect(policyProblem({ rules: [{ kind: "pin", itemId: "../../x y", position: 1 }] })).toBe(`rules[0]: a pin's itemId must be ${ID_RULE}`);
    for (const kind of ["boost", "bury"]) {
      expect(policyProblem({ rules: [{ kind, match: { itemId: "a/b" }, by: 1 }] })).toBe(`rules[0]: match.itemId must be ${ID_RULE}`);
    }
    expect(policyProblem({ rules: [{ kind: "exclude", match: { itemId: "x".repeat(129) } }] })).toBe(`rules[0]: match.itemId must be ${ID_RULE}`);
    expect(policyProblem({ rules: [{ kind: "pin", itemId: "tt0111161:v2@us", position: 1 }] })).toBeNull();
  });
});
