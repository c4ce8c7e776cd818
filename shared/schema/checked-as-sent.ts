import * as v from "valibot";

/**
 * `schema`, with `check` run first on the value as sent. Valibot's records
 * leave out the keys `__proto__`, `constructor` and `prototype` without an
 * issue, so a parser that reads a schema's output never sees them: a body
 * such as `{"constructor": {...}}` would pass as `{}`. `check` sees every
 * key and throws the route's own error (an AppError) for what it refuses.
 * OpenAPI documents it as `schema` (a `v.custom` before a schema is a guard).
 */
export function checkedAsSent<S extends v.GenericSchema>(check: (input: unknown) => unknown, schema: S) {
  return v.pipe(
    v.custom<v.InferInput<S>>((input) => {
      check(input);
      return true;
    }),
    schema,
  );
}
