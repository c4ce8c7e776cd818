import * as v from "valibot";
import { AppError } from "../../../../shared/errors";
import { batchProblem, eventBatchSchema } from "../../../../shared/events/event-schema";
import { type IssuesToError } from "./validate";

/** `POST /v1/events` body (shared/events/event-schema.ts). */
export const eventBatch = eventBatchSchema();

/** The 400 every batch problem gets: `invalid_event_batch` naming `index` (-1: the batch) and `field`. */
export function eventBatchError(index: number, field: string, reason: string): AppError {
  const where = index < 0 ? `batch field "${field}"` : `events[${index}].${field}`;
  return new AppError("invalid_event_batch", `${where}: ${reason}; nothing in the batch was stored`, { index, field });
}

export const eventBatchIssuesError: IssuesToError = (issues) => {
  const problem = batchProblem(issues);
  return eventBatchError(problem.index, problem.field, problem.reason);
};

/** `POST /v1/events` 200. */
export const eventsResponse = v.object({
  accepted: v.pipe(v.array(v.string()), v.description("Event ids stored now.")),
  duplicates: v.pipe(v.array(v.string()), v.description("Event ids already stored by an earlier batch: counted once everywhere.")),
  sessions: v.pipe(v.record(v.string(), v.object({ sessionVersion: v.number() })), v.description("Each user's new session version.")),
  redis: v.pipe(v.picklist(["delivered", "queued", "disabled"]), v.description("`queued`: Redis is unreachable; the events wait in the users' outboxes.")),
});
