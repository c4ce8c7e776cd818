import * as v from "valibot";

/**
 * How a field that a schema checks with code (`v.custom`, `v.rawCheck`, or
 * a check across fields) appears in OpenAPI: a JSON Schema the generator
 * (worker/src/openapi/) uses instead of converting the Valibot schema.
 */
export function documentedAs<T>(jsonSchema: Record<string, unknown>) {
  return v.metadata<T, { jsonSchema: Record<string, unknown> }>({ jsonSchema });
}
