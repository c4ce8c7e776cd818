import * as v from "valibot";
import { AppError, type ErrorCode } from "../../../../shared/errors";
import { ID_PATTERN, ID_RULE } from "../../../../shared/ids";
import { documentedAs } from "../../../../shared/schema/documented";
import { firstIssue, issuePath, rankOf } from "../../../../shared/schema/issues";
import { type IssuesToError } from "./validate";

export { ID_RULE };

/** An id (user, item, event, impression) whose every problem, missing included, reads `message` (a fieldMessage tells them apart). */
export const idSchema = (message: string | ((issue: { input: unknown }) => string), description?: string) =>
  description ? v.pipe(v.string(message), v.regex(ID_PATTERN, message), v.description(description)) : v.pipe(v.string(message), v.regex(ID_PATTERN, message));

/** A query parameter holding an integer from `min` to `max`. */
export const boundedInt = (name: string, min: number, max: number, description: string) => {
  const message = `${name} must be an integer from ${min} to ${max}`;
  return v.pipe(
    v.string(message),
    // A query string is text; the reference says which integers it takes.
    documentedAs<string>({ type: "integer", minimum: min, maximum: max }),
    v.description(description),
    v.transform(Number),
    v.integer(message),
    v.minValue(min, message),
    v.maxValue(max, message),
  );
};

/** A query parameter holding an integer from `min` to `max`, `fallback` when absent. */
export const intParam = (name: string, fallback: number, min: number, max: number, description?: string) =>
  v.optional(boundedInt(name, min, max, description ?? `An integer from ${min} to ${max}; ${fallback} when absent.`), String(fallback));

/**
 * The error for the first issue by field `order`: `code` with the issue's
 * message; `{field}` in the details when `withField` (the routes that
 * named the field before keep naming it; the others never did).
 */
export function firstFieldError(code: ErrorCode, order: readonly string[], withField = true): IssuesToError {
  return (issues) => {
    const issue = firstIssue(issues, (i) => [rankOf(order, issuePath(i)[0])]);
    const field = issuePath(issue)[0];
    return new AppError(code, issue.message, withField && typeof field === "string" ? { field } : undefined);
  };
}

/** The error envelope of every 4xx and 5xx. */
export const errorEnvelope = v.object({
  error: v.object({
    code: v.pipe(v.string(), v.description("Machine-readable: `invalid_request`, `invalid_event_batch`, `token_required`, `forbidden`, `rate_limited`, ...")),
    message: v.pipe(v.string(), v.description("For people: what was wrong and what to do.")),
    requestId: v.pipe(v.string(), v.description("Also in the X-Request-Id header; names the request in the logs.")),
    field: v.optional(v.pipe(v.string(), v.description("The input field at fault, where there is one."))),
    index: v.optional(v.pipe(v.number(), v.description("The event (or catalog item) at fault in a batch; -1 for the batch itself."))),
  }),
});
