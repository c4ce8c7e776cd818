import * as v from "valibot";
import { type InteractionEvent } from "./event";
import { type BatchProblem, batchProblem, eventBatchSchema } from "./event-schema";

export { type BatchProblem };

export type BatchValidation = { ok: true; events: InteractionEvent[] } | { ok: false; problem: BatchProblem };

/**
 * Validates a whole `POST /v1/events` body against the batch schema
 * (event-schema.ts) at `nowMs`: all or nothing, the first problem naming
 * the event index and field.
 */
export function validateEventBatch(body: unknown, nowMs: number): BatchValidation {
  const result = v.safeParse(
    eventBatchSchema(() => nowMs),
    body,
    { abortEarly: false },
  );
  return result.success ? { ok: true, events: result.output.events } : { ok: false, problem: batchProblem(result.issues) };
}
