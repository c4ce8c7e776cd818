import * as v from "valibot";
import { AppError } from "../../../../shared/errors";
import { EVENT_REJECTIONS, EVENT_RETRY_CODES, EVENT_STATUSES } from "../../../../shared/events/event-results";
import { envelopeProblem, type eventBatchDocumented, eventBatchEnvelope } from "../../../../shared/events/event-schema";
import { type IssuesToError } from "./validate";

/**
 * `POST /v1/events` body: the envelope is checked here, all or nothing;
 * the route judges each event on its own (shared/events/validate-batch.ts).
 * Typed for clients as the documented batch.
 */
export const eventBatch = eventBatchEnvelope as v.GenericSchema<v.InferInput<typeof eventBatchDocumented>, v.InferOutput<typeof eventBatchEnvelope>>;

/** A refused envelope: 400 `invalid_event_batch` naming `index` -1 and the field. */
export const eventBatchIssuesError: IssuesToError = (issues) => {
  const { index, field, reason } = envelopeProblem(issues);
  return new AppError("invalid_event_batch", `batch field "${field}": ${reason}; nothing in the batch was stored`, { index, field });
};

export const eventResult = v.object({
  index: v.pipe(v.number(), v.description("Position of the event in the request's `events`.")),
  eventId: v.optional(v.string()),
  userId: v.optional(v.string()),
  status: v.pipe(
    v.picklist(EVENT_STATUSES),
    v.description("`accepted`: stored now; `duplicate`: stored before, do not resend; `rejected`: never stored (`code`, `field`); `retry_later`: resend it."),
  ),
  code: v.optional(v.picklist([...EVENT_REJECTIONS, ...EVENT_RETRY_CODES])),
  field: v.optional(v.string()),
  message: v.optional(v.string()),
});

/** `POST /v1/events` 200: one result per event, in order. */
export const eventsResponse = v.object({
  results: v.array(eventResult),
  accepted: v.pipe(v.array(v.string()), v.description("Event ids stored now.")),
  duplicates: v.pipe(v.array(v.string()), v.description("Event ids already stored by an earlier batch: counted once everywhere.")),
  sessions: v.pipe(v.record(v.string(), v.object({ sessionVersion: v.number() })), v.description("Each user's new session version.")),
  redis: v.pipe(v.picklist(["delivered", "queued", "disabled"]), v.description("`queued`: Redis is unreachable; the events wait in the users' outboxes.")),
  degraded: v.optional(
    v.pipe(
      v.array(v.picklist(["catalog_unavailable"])),
      v.description(
        "`catalog_unavailable`: the catalog could not be read; items were checked against the rows this isolate read before and the live index's items, the others' events are `retry_later`.",
      ),
    ),
  ),
});
