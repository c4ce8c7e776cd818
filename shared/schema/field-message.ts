/** A JSON value's type, as a message names it. */
export type JsonType = "string" | "number" | "boolean" | "null" | "array" | "object";

const TYPE_NAMES: Record<JsonType, string> = {
  string: "a string",
  number: "a number",
  boolean: "a boolean",
  null: "null",
  array: "an array",
  object: "an object",
};

/** The JSON type of a parsed body's value; anything else (undefined, a function) reads as its `typeof`. */
function jsonTypeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** What a value of the wrong JSON type is told: "expected <expected>, got a number". */
export function wrongType(expected: string, value: unknown): string {
  const type = jsonTypeOf(value);
  return `expected ${expected}, got ${Object.hasOwn(TYPE_NAMES, type) ? TYPE_NAMES[type as JsonType] : type}`;
}

/** How a field is told what is wrong with it, by what was sent (fieldMessage). */
export interface FieldRule {
  /** Said only when the field is absent: "required; ...". */
  missing: string;
  /** The JSON types the field may hold; a value of another is told "expected <expected>, got <its type>". */
  types: readonly JsonType[];
  expected: string;
  /** Said for a value of the right type that breaks the rule; a function words it from the value. */
  invalid: string | ((input: unknown) => string);
}

/**
 * A field's error message (a Valibot message function, or called with the
 * value) that tells apart what was sent: "required" only when the field is
 * absent, the type expected and the type got when it is of the wrong JSON
 * type, the rule otherwise. A missing object key is a Valibot issue whose
 * `input` is undefined; JSON has no undefined, so a present field never is.
 */
export function fieldMessage(rule: FieldRule): (issue: { input: unknown }) => string {
  return ({ input }) => {
    if (input === undefined) return rule.missing;
    if (!rule.types.includes(jsonTypeOf(input) as JsonType)) return wrongType(rule.expected, input);
    return typeof rule.invalid === "function" ? rule.invalid(input) : rule.invalid;
  };
}
