import * as v from "valibot";

export const liveResponse = v.object({ status: v.literal("ok") });

const probe = v.pipe(
  v.looseObject({
    status: v.picklist(["ok", "disabled", "error"]),
    message: v.optional(v.pipe(v.string(), v.description("Why it is disabled or unreachable; a driver's own text is never quoted."))),
  }),
  v.description("`ok` with what the probe read (`indexVersion`, `catalogItems`, `ping`), or `disabled`/`error` with a message."),
);

/** `GET /health`: always 200, so it can say what is down. */
export const healthResponse = v.object({
  status: v.pipe(
    v.picklist(["ok", "degraded"]),
    v.description("`degraded` when KV, D1 or a configured Redis is unreachable, or the served version is missing or has a corrupt blob."),
  ),
  indexVersion: v.nullable(v.string()),
  bindings: v.object({ kv: probe, d1: probe, durableObjects: probe, redis: probe }),
  index: v.optional(
    v.pipe(
      v.looseObject({
        status: v.picklist(["ok", "error"]),
        version: v.optional(v.nullable(v.string())),
        message: v.optional(v.string()),
        degraded: v.optional(v.array(v.string())),
      }),
      v.description(
        "The served version as requests load it (popular list, funnel and ANN heads, checked against the manifest's checksums): `error` names the degraded codes its answers carry. Absent while KV is unreachable or nothing is published.",
      ),
    ),
  ),
});
