/**
 * The same inputs as the Worker's Valibot schemas (recommendations query,
 * one event, the batch envelope, the user profile), written with zod 4 as
 * @hono/zod-openapi would use them: the other arm of bench/schemas.ts.
 * Messages are left out: only parse cost and bundle size are compared.
 */
import { z } from "@hono/zod-openapi";
import { EVENT_TYPES, MAX_EVENTS_PER_BATCH } from "../../shared/events/event";
import { ID_PATTERN } from "../../shared/ids";

const id = z.string().regex(ID_PATTERN);
const intParam = (fallback: number, min: number, max: number) =>
  z.string().optional().default(String(fallback)).transform(Number).pipe(z.number().int().min(min).max(max));

export const zodRecommendationsQuery = z
  .object({
    user_id: id,
    surface: z.enum(["home", "up_next", "related"]).optional().default("home"),
    item_id: id.optional(),
    limit: intParam(20, 1, 50),
    category: z.string().min(1).max(64).optional(),
    exclude: z
      .string()
      .optional()
      .default("")
      .transform((raw) => raw.split(",").filter(Boolean))
      .refine((ids) => ids.length <= 100 && ids.every((x) => ID_PATTERN.test(x))),
    cursor: z.string().optional(),
  })
  .refine((q) => q.surface === "home" || q.item_id !== undefined, { path: ["item_id"] });

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export const zodEvent = z
  .strictObject({
    eventId: id,
    userId: id,
    itemId: id,
    type: z.enum(EVENT_TYPES),
    timestamp: z.union([z.number().int().min(0), z.string().regex(ISO_DATE_TIME)]).transform((t) => (typeof t === "number" ? t : Date.parse(t))),
    value: z.number().min(0.5).max(5).optional(),
    seconds: z.number().min(0).optional(),
    surface: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,31}$/)
      .optional(),
    impressionId: id.optional(),
    context: z.record(z.string().regex(/^[A-Za-z0-9_]{1,32}$/), z.string().max(256)).optional(),
  })
  .refine((e) => (e.type === "rating") === (e.value !== undefined), { path: ["value"] })
  .refine((e) => (e.type === "watch") === (e.seconds !== undefined), { path: ["seconds"] });

export const zodEnvelope = z.strictObject({ events: z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_BATCH) });

export const zodProfile = z.strictObject({
  language: z
    .string()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/)
    .nullish(),
  region: z
    .string()
    .regex(/^[A-Za-z]{2}$/)
    .nullish(),
  categories: z.array(z.string().min(1).max(64)).max(32).optional(),
});
