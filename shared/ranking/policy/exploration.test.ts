import { describe, expect, it } from "vitest";
import { explorationProblem } from "./exploration";

describe("explorationProblem", () => {
  it("accepts each policy with its fields", () => {
    expect(explorationProblem({ policy: "epsilon", rate: 0.1, from: 4 })).toBeNull();
    expect(explorationProblem({ policy: "softmax", temperature: 0.5, topN: 4, from: 2 })).toBeNull();
  });

  it("knows policies and fields by its own names, not those every object inherits", () => {
    for (const name of ["constructor", "toString", "__proto__"]) {
      expect(explorationProblem({ policy: name }), name).toBe('exploration.policy must be "epsilon" or "softmax"');
      expect(explorationProblem(JSON.parse(`{"policy": "epsilon", "rate": 0.1, "from": 4, "${name}": 1}`)), name).toBe(
        `unknown exploration field "${name}" for epsilon`,
      );
    }
  });
});
