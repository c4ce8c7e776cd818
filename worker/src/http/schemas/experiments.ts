import * as v from "valibot";
import { isObject } from "../../../../shared/is-object";
import { AppError } from "../../../../shared/errors";
import { type ExperimentDefinition, parseExperimentDefinition, parseHoldout } from "../../../../shared/experiments/experiment-input";
import { ID_PATTERN, idRule } from "../../../../shared/ids";
import { SOURCES } from "../../../../shared/ranking/candidate";
import { MAX_SOFTMAX_TOP_N } from "../../../../shared/ranking/policy/exploration";
import { policyShape } from "./admin-config";
import { SURFACES } from "./recommendations";
import { type IssuesToError, parsedBy } from "./validate";

/**
 * The experiments admin API. Definitions and the holdout are checked by
 * shared/experiments/experiment-input.ts, whose codes (`invalid_experiment`,
 * `unknown_knob`, `invalid_allocation`, `invalid_holdout`) and messages
 * clients rely on; the shapes here type and document them and refuse what
 * is not of their shape (with the parser's error for it).
 */

const ID_MESSAGE = `experiment id must be ${idRule(64)}`;
export const experimentParam = v.object({ id: v.pipe(v.string(ID_MESSAGE), v.regex(ID_PATTERN, ID_MESSAGE), v.maxLength(64, ID_MESSAGE)) });
export const experimentParamError: IssuesToError = (issues) => new AppError("invalid_request", issues[0].message);

export const reportQuery = v.object({
  format: v.optional(v.pipe(v.string(), v.description("`markdown` for the report as text; JSON otherwise."))),
});

const percent = v.pipe(v.number(), v.minValue(0), v.maxValue(100), v.description("Percent, at most two decimals."));
const shortId = (max: number) => v.pipe(v.string(), v.regex(ID_PATTERN), v.maxLength(max));
const finite = v.number();
const quota = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1000));

const lightWeights = v.looseObject({
  normalize: v.optional(v.picklist(["rank", "zscore"])),
  source: v.pipe(
    v.looseObject(Object.fromEntries(SOURCES.map((s) => [s, finite])) as Record<(typeof SOURCES)[number], typeof finite>),
    v.description("Weight per candidate source."),
  ),
  popularity: finite,
  affinity: finite,
  declaredCategory: finite,
  perImpression: finite,
});
const slot = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100), v.description("1-based first slot that explores."));
const exploration = v.variant("policy", [
  v.strictObject({ policy: v.literal("epsilon"), rate: v.pipe(v.number(), v.minValue(0), v.maxValue(1)), from: slot }),
  v.strictObject({
    policy: v.literal("softmax"),
    temperature: v.pipe(v.number(), v.minValue(1e-3), v.maxValue(1e3)),
    topN: v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(MAX_SOFTMAX_TOP_N)),
    from: slot,
  }),
]);
const overrides = v.pipe(
  v.strictObject({
    indexVersion: v.optional(v.pipe(v.string(), v.minLength(1), v.description("A published version to serve from (must have a manifest)."))),
    lightWeights: v.optional(lightWeights),
    heavyRanker: v.optional(v.boolean()),
    policy: v.optional(policyShape),
    exploration: v.optional(exploration),
    sourceQuotas: v.optional(
      v.pipe(
        v.strictObject(
          Object.fromEntries(SOURCES.map((s) => [s, v.optional(quota)])) as Record<(typeof SOURCES)[number], v.OptionalSchema<typeof quota, undefined>>,
        ),
        v.description("Candidates per source."),
      ),
    ),
  }),
  v.description("What the variant changes; everything absent is served as to everyone else."),
);

const definitionEntries = {
  id: shortId(64),
  name: v.optional(v.pipe(v.string(), v.maxLength(200))),
  layer: v.optional(v.pipe(shortId(64), v.description("Experiments of one layer exclude each other; `default` when absent."))),
  salt: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(128))),
  traffic: v.optional(v.pipe(percent, v.description("Share of the layer's traffic; 100 when absent."))),
  trafficOffset: v.optional(percent),
  control: v.pipe(v.string(), v.description("The variant the others are compared against.")),
  variants: v.pipe(v.record(shortId(32), overrides), v.description("2 to 10 variants: id -> overrides.")),
  allocation: v.pipe(
    v.record(v.string(), v.record(v.string(), percent)),
    v.description("Region (lower-case country, `global`, and the required `default`) -> variant -> percent; each region sums to 100."),
  ),
  surfaces: v.optional(v.pipe(v.array(v.picklist(SURFACES)), v.description("Surfaces it applies to; all when empty or absent."))),
};

const guarded = <E extends v.ObjectEntries>(entries: E) =>
  v.pipe(v.custom<v.InferInput<v.StrictObjectSchema<E, undefined>>>(isObject), v.strictObject(entries));

/** The id `holdout` names the global holdout in reports. */
function parseDefinition(input: unknown): ExperimentDefinition {
  const definition = parseExperimentDefinition(input);
  if (definition.id === "holdout") throw new AppError("invalid_experiment", 'the id "holdout" is reserved; nothing was stored', { field: "id" });
  return definition;
}
/** What the shape refuses once the parser (run first, on the body as sent) let it through. */
const fallback: IssuesToError = (issues) => new AppError("invalid_experiment", `${issues[0].message}; nothing was stored`);

/** `POST /admin/experiments`: a new draft. */
export const experimentBody = parsedBy(guarded(definitionEntries), parseDefinition);
export const experimentError = fallback;

/**
 * The definition of an update to experiment `id` (the path's): the body may
 * leave its id out; another id is refused, not replaced (a client meaning
 * to rename, or sending the wrong draft, would change this one).
 */
function updatedDefinition(body: unknown, id: string): ExperimentDefinition {
  if (isObject(body) && Object.hasOwn(body, "id") && body.id !== id) {
    throw new AppError(
      "invalid_experiment",
      `the body's id ${JSON.stringify(body.id)} is not the path's "${id}": an experiment's id cannot change (send "${id}" or leave id out); nothing was stored`,
      { field: "id" },
    );
  }
  return parseDefinition({ ...(body as object), id });
}
const updateShape = guarded({ ...definitionEntries, id: v.optional(definitionEntries.id) });

/** `PUT /admin/experiments/:id`: a draft's new definition, parsed with the path's id (`pathId`); made per request. */
export const experimentUpdateBody = (pathId: string) => parsedBy(updateShape, (body) => updatedDefinition(body, pathId));
export const experimentUpdateError = fallback;

/** `PUT /admin/experiments/holdout`: refused while experiments run. */
export const holdoutBody = parsedBy(
  guarded({
    percent: v.pipe(percent, v.description("Share of all users held out of every experiment.")),
    salt: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(128))),
    offset: v.optional(percent),
  }),
  parseHoldout,
);
export const holdoutError: IssuesToError = (issues) => new AppError("invalid_holdout", `${issues[0].message}; nothing was stored`);

const holdout = v.object({
  salt: v.string(),
  start: v.pipe(v.number(), v.description("First bucket (basis points, 0-9999).")),
  end: v.pipe(v.number(), v.description("End bucket, exclusive.")),
});
const experiment = v.object({
  id: v.string(),
  name: v.string(),
  layer: v.string(),
  salt: v.string(),
  status: v.picklist(["draft", "running", "stopped"]),
  trafficStart: v.pipe(v.number(), v.description("The layer's buckets it owns, in basis points: start ...")),
  trafficEnd: v.pipe(v.number(), v.description("... to end, exclusive.")),
  control: v.string(),
  variants: v.array(v.object({ id: v.string(), overrides: v.record(v.string(), v.unknown()) })),
  allocation: v.record(v.string(), v.record(v.string(), v.number())),
  surfaces: v.array(v.string()),
  createdAtMs: v.number(),
  updatedAtMs: v.number(),
  startedAtMs: v.nullable(v.number()),
  stoppedAtMs: v.nullable(v.number()),
});

export const holdoutResponse = v.object({ holdout });
export const experimentResponse = v.object({ experiment });
export const experimentDeletedResponse = v.object({ deleted: v.pipe(v.string(), v.description("The deleted draft's id.")) });
export const experimentsResponse = v.object({ experiments: v.array(experiment), holdout });
export const experimentAuditResponse = v.object({
  experiment,
  audit: v.pipe(v.array(v.object({ action: v.string(), at: v.number(), requestId: v.nullable(v.string()) })), v.description("Every change, oldest first.")),
});
const scope = v.pipe(
  v.record(v.string(), v.unknown()),
  v.description("Users, impressions, events, CTR with its interval, lift and CUPED per variant; the SRM test."),
);
export const reportResponse = v.object({
  experiment: v.looseObject({ id: v.string(), name: v.string(), status: v.string(), control: v.string(), variants: v.array(v.string()) }),
  generatedAtMs: v.number(),
  confidence: v.number(),
  srmFlagged: v.pipe(v.boolean(), v.description("A sample-ratio mismatch somewhere: do not read the metrics.")),
  pooled: scope,
  regions: v.array(scope),
  guardrails: v.array(
    v.object({ variant: v.string(), impressions: v.number(), serverP95Ms: v.nullable(v.number()), degradedShare: v.number(), errorShare: v.number() }),
  ),
  notes: v.array(v.string()),
});
