import * as v from "valibot";
import { type InteractionEvent } from "./event";
import { type EventRejection } from "./event-results";
import { type BatchProblem, envelopeProblem, eventBatchEnvelope, eventProblem, eventSchema } from "./event-schema";

export type { BatchProblem };

/** One event of a batch that is not taken, and why. */
export interface RejectedEvent extends BatchProblem {
  code: EventRejection;
}

/** A valid event and its position in the batch. */
export interface IndexedEvent {
  index: number;
  event: InteractionEvent;
}

/**
 * `ok` when the batch itself is well formed and at least one of its events
 * is valid: the valid ones go on, each rejected one is reported on its own.
 * Otherwise the first problem (the batch's, or its first event's) refuses it whole.
 */
export type BatchValidation = { ok: true; events: IndexedEvent[]; rejected: RejectedEvent[] } | { ok: false; problem: BatchProblem; rejected: RejectedEvent[] };

/**
 * Validates a whole `POST /v1/events` body. The envelope (an object with a
 * non-empty array of at most MAX_EVENTS_PER_BATCH events, nothing else) is
 * all-or-nothing; each event is then judged on its own, so one bad event
 * does not hold back the others. Unknown fields are rejected so that a
 * misspelt field is never silently dropped. An event id repeated for the
 * same user inside one batch is rejected after its first occurrence (ids
 * are the user's own: two users may share one); across batches ids are
 * idempotent (handled by storage).
 */
export function validateEventBatch(body: unknown, nowMs: number): BatchValidation {
  const envelope = v.safeParse(eventBatchEnvelope, body, { abortEarly: false });
  if (!envelope.success) return { ok: false, problem: envelopeProblem(envelope.issues), rejected: [] };
  const event = eventSchema(() => nowMs);
  const events: IndexedEvent[] = [];
  const rejected: RejectedEvent[] = [];
  const idsInBatch = new Set<string>();
  envelope.output.events.forEach((raw, i) => {
    const result = v.safeParse(event, raw, { abortEarly: false });
    if (!result.success) {
      rejected.push({ ...eventProblem(result.issues, i, raw), code: "invalid_event" });
      return;
    }
    const scopedId = `${result.output.userId}\n${result.output.eventId}`;
    if (idsInBatch.has(scopedId)) {
      rejected.push({ index: i, field: "eventId", reason: "this user's eventId appears earlier in the batch", code: "duplicate_in_batch" });
      return;
    }
    idsInBatch.add(scopedId);
    events.push({ index: i, event: result.output });
  });
  if (events.length === 0) return { ok: false, problem: firstProblem(rejected), rejected };
  return { ok: true, events, rejected };
}

/** The problem that names a refused batch: its first rejected event's. */
export function firstProblem(rejected: readonly RejectedEvent[]): BatchProblem {
  const first = rejected.reduce((a, b) => (b.index < a.index ? b : a));
  return { index: first.index, field: first.field, reason: first.reason };
}
