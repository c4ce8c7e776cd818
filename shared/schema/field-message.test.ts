import { describe, expect, it } from "vitest";
import { fieldMessage, wrongType } from "./field-message";

const id = fieldMessage({ missing: "required; an id", types: ["string"], expected: "a string (an id)", invalid: "must be an id" });

describe("fieldMessage", () => {
  it('says "required" only for an absent field', () => {
    expect(id({ input: undefined })).toBe("required; an id");
    for (const input of ["", "a b", 0, null, false, [], {}]) expect(id({ input })).not.toContain("required");
  });

  it("names the type expected and the type got for a value of another JSON type", () => {
    expect([1, true, null, ["x"], { x: 1 }].map((input) => id({ input }))).toEqual([
      "expected a string (an id), got a number",
      "expected a string (an id), got a boolean",
      "expected a string (an id), got null",
      "expected a string (an id), got an array",
      "expected a string (an id), got an object",
    ]);
  });

  it("gives the rule, or words it from the value, for a value of the right type", () => {
    expect(id({ input: "a b" })).toBe("must be an id");
    const words = fieldMessage({ missing: "required", types: ["number", "string"], expected: "x", invalid: (input) => `bad ${String(input)}` });
    expect([words({ input: 7 }), words({ input: "s" }), words({ input: true })]).toEqual(["bad 7", "bad s", "expected x, got a boolean"]);
  });

  it("reads a value no JSON body holds as its typeof", () => {
    expect(wrongType("a string", () => 1)).toBe("expected a string, got function");
  });
});
