import * as v from "valibot";
import { isObject } from "../../../../shared/is-object";
import { catalogItemProblem, MAX_ITEMS_PER_UPSERT } from "../../../../shared/catalog/catalog-item";
import { AppError } from "../../../../shared/errors";
import { embeddedIdSource, ID_PATTERN, idFieldMessage } from "../../../../shared/ids";
import { VERSION_PATTERN } from "../../../../shared/index-format/keys";
import { METRICS_TTL_S } from "../../../../shared/metrics/request-metrics";
import { documentedAs } from "../../../../shared/schema/documented";
import { wrongType } from "../../../../shared/schema/field-message";
import { firstIssue, isUnknownKeyIssue, issuePath, rankOf } from "../../../../shared/schema/issues";
import { CONFIG_SURFACES, parsePolicyOverrides, POLICY_KEYS, unknownSurface } from "../../config/config-store";
import { ID_RULE, intParam } from "./common";
import { type IssuesToError, parsedBy } from "./validate";

/** The catalog, configuration and audit routes of the admin API. */

const range = (min: number, max: number) => v.optional(v.pipe(v.number(), v.minValue(min), v.maxValue(max)));
const integerRange = (min: number, max: number) => v.optional(v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max)));

const catalogItem = v.strictObject({
  itemId: v.pipe(v.string(), v.regex(ID_PATTERN)),
  title: v.pipe(v.string(), v.minLength(1), v.maxLength(512)),
  categories: v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(64))), v.maxLength(64)),
  year: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1800), v.maxValue(2200))),
  tags: v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(64))), v.maxLength(64)),
  available: v.boolean(),
  blockedRegions: v.optional(
    v.pipe(v.array(v.pipe(v.string(), v.regex(/^[a-z]{2}$/))), v.maxLength(250), v.description("Lower-case countries where the item may not be shown.")),
  ),
});

/**
 * `POST /admin/catalog/items`: up to 500 items, all or nothing, tied to an
 * index version when the builder publishes one. The newer fact wins per row
 * (worker/src/catalog/d1-catalog.ts): a publication leaves `available` and
 * `blockedRegions` as an operator last set them when that edit is later than
 * its `catalogAsOf`.
 */
export const catalogItemsBody = v.pipe(
  v.object({
    items: v.pipe(
      v.array(catalogItem),
      v.minLength(1),
      v.maxLength(MAX_ITEMS_PER_UPSERT),
      v.description(
        "Without `indexVersion` (an operator's edit) every field is written and the row remembers when; " +
          "with it (a publication) title, categories, year and tags are written, and `available` and `blockedRegions` " +
          "unless an operator set them after `catalogAsOf`.",
      ),
    ),
    indexVersion: v.optional(v.nullable(v.pipe(v.string(), v.regex(VERSION_PATTERN), v.description("The version the items were built into.")))),
    catalogAsOf: v.optional(
      v.pipe(
        v.number(),
        v.safeInteger(),
        v.minValue(0),
        v.description(
          "A publication's only: epoch milliseconds its item data is as of (the builder's item file). " +
            "A row an operator edited later keeps its `available` and `blockedRegions`; absent, the data counts as of now and overwrites every earlier edit.",
        ),
      ),
    ),
  }),
  v.check((body) => body.catalogAsOf === undefined || typeof body.indexVersion === "string", "catalogAsOf needs an indexVersion"),
);

const ITEMS_MESSAGE = `send {"items": [...]} with 1 to ${MAX_ITEMS_PER_UPSERT} items`;
/**
 * 400 `invalid_item`: the list itself first (its length too, which a schema
 * checks only once every item passed), then `indexVersion`, then the first
 * bad item, as shared/catalog/catalog-item.ts words its problem.
 */
export const catalogItemsError: IssuesToError = (issues, _c, input) => {
  const items = (input as { items?: unknown } | null)?.items;
  if (Array.isArray(items) && (items.length === 0 || items.length > MAX_ITEMS_PER_UPSERT)) return new AppError("invalid_item", ITEMS_MESSAGE);
  const issue = firstIssue(issues, (i) => {
    const [field, index] = issuePath(i);
    if (field === "items") return typeof index === "number" ? [2, index] : [0];
    return field === undefined ? [0] : [rankOf(["items", "indexVersion", "catalogAsOf"], field)];
  });
  const [field, index] = issuePath(issue);
  if (field === "indexVersion") return new AppError("invalid_item", "indexVersion must be a version string or absent");
  if (field === "catalogAsOf") return new AppError("invalid_item", "catalogAsOf must be epoch milliseconds (an integer >= 0) or absent");
  if (field === undefined && issue.type === "check") return new AppError("invalid_item", "catalogAsOf is a publication's: send it with indexVersion");
  if (typeof index !== "number") return new AppError("invalid_item", ITEMS_MESSAGE);
  const problem = catalogItemProblem((items as unknown[])[index]) ?? `${issuePath(issue).slice(2).join(".")}: ${issue.message}`;
  return new AppError("invalid_item", `items[${index}].${problem}; nothing was written`, { index });
};

const REGION_KEY = /^([a-z]{2}|default|global)$/;
const REGION_MESSAGE = "region must be a lower-case country code, global or default";
const MAX_EDITORIAL_ITEMS = 100;
/** Keys a valibot record leaves out of its output without an issue (none of them a region). */
const KEYS_RECORDS_LEAVE_OUT = new Set(["__proto__", "constructor", "prototype"]);
const editorialRegions = v.pipe(
  v.custom<Record<string, string[]>>(isObject),
  documentedAs<Record<string, string[]>>({
    type: "object",
    description: `Region (lower-case country, \`global\` or \`default\`) -> item ids in order (at most ${MAX_EDITORIAL_ITEMS}).`,
    propertyNames: { pattern: REGION_KEY.source },
    additionalProperties: { type: "array", items: { type: "string", pattern: ID_PATTERN.source }, maxItems: MAX_EDITORIAL_ITEMS },
  }),
  // The record below would leave these keys out unseen (a list under "constructor" vanished): refused as any region key it refuses.
  v.rawCheck(({ dataset, addIssue }) => {
    const regions = dataset.value;
    if (!isObject(regions)) return;
    for (const key of Object.keys(regions)) {
      if (KEYS_RECORDS_LEAVE_OUT.has(key))
        addIssue({ message: REGION_MESSAGE, path: [{ type: "object", origin: "key", input: regions, key, value: regions[key] }] });
    }
  }),
  v.record(
    v.pipe(v.string(), v.regex(REGION_KEY)),
    v.pipe(
      v.array(v.pipe(v.string(idFieldMessage), v.regex(ID_PATTERN, idFieldMessage)), (issue) =>
        wrongType(`an array of at most ${MAX_EDITORIAL_ITEMS} item ids`, issue.input),
      ),
      v.maxLength(MAX_EDITORIAL_ITEMS, `at most ${MAX_EDITORIAL_ITEMS} item ids`),
    ),
  ),
);

/** `PUT /admin/config/editorial`: surface -> region -> item ids, e.g. `{"home": {"default": ["858"], "us": ["260"]}}`. */
export const editorialBody = v.pipe(
  v.custom<Record<string, Record<string, string[]>>>(isObject),
  v.strictObject(
    Object.fromEntries(CONFIG_SURFACES.map((s) => [s, v.optional(editorialRegions)])) as Record<
      (typeof CONFIG_SURFACES)[number],
      v.OptionalSchema<typeof editorialRegions, undefined>
    >,
  ),
  v.description('Editorial lists per surface and region: `{"home": {"default": ["858"], "us": ["260"]}}`; a surface not named here would never apply.'),
);

/** A surface the body's strict object does not list. */
const isUnknownSurface = (issue: v.BaseIssue<unknown>) => issue.path?.length === 1 && isUnknownKeyIssue(issue);

/**
 * 400 `invalid_request` naming an unknown surface, else the first surface,
 * region and item at fault, as the configuration has always been refused.
 */
export const editorialError: IssuesToError = (issues) => {
  const issue = firstIssue(issues, (i) => [isUnknownSurface(i) ? 0 : 1]);
  const [surface, region, index] = issuePath(issue);
  const regionKey = issue.path?.[1]?.origin === "key";
  const message =
    surface === undefined
      ? "editorial config must be an object of surfaces"
      : isUnknownSurface(issue)
        ? unknownSurface(String(surface), CONFIG_SURFACES)
        : region === undefined
          ? `${surface}: an object of regions`
          : regionKey
            ? `${surface}.${region}: ${REGION_MESSAGE}`
            : `${surface}.${region}${index === undefined ? "" : `[${index}]`}: ${issue.message}`;
  return new AppError("invalid_request", `${message}; nothing was stored`);
};

const ruleMatch = v.pipe(
  v.strictObject({
    itemId: v.optional(v.pipe(v.string(), v.regex(ID_PATTERN))),
    category: v.optional(v.pipe(v.string(), v.minLength(1))),
    yearBefore: v.optional(v.pipe(v.number(), v.integer(), v.description("Items released before this year."))),
  }),
  v.description("At least one of itemId, category, yearBefore; all given must hold."),
);
const businessRule = v.variant("kind", [
  v.strictObject({ kind: v.literal("pin"), itemId: v.pipe(v.string(), v.regex(ID_PATTERN)), position: v.pipe(v.number(), v.integer(), v.minValue(1)) }),
  v.strictObject({ kind: v.picklist(["boost", "bury"]), match: ruleMatch, by: v.pipe(v.number(), v.minValue(0)) }),
  v.strictObject({ kind: v.literal("exclude"), match: ruleMatch }),
]);

/** Re-ranking knobs and business rules, each optional over the defaults (shared/ranking/policy/policy-config.ts). */
export const policyShape = v.strictObject({
  mmrLambda: range(0, 1),
  maxPerCategory: integerRange(0, 100),
  freshBoost: range(-10, 10),
  frequencyCap: integerRange(0, 1000),
  explorationRate: range(0, 1),
  explorationFrom: integerRange(1, 100),
  rules: v.optional(v.pipe(v.array(businessRule), v.maxLength(100))),
});

/** `PUT /admin/config/policy`: surface (`default` for all) -> policy; checked as sent by the policy's own rules, which name the first problem. */
export const policyBody = parsedBy(
  v.pipe(
    v.custom<Record<string, v.InferInput<typeof policyShape>>>(isObject),
    v.record(v.pipe(v.string(), v.regex(new RegExp(`^(${POLICY_KEYS.join("|")})$`))), policyShape),
    v.description("Re-ranking knobs and business rules per surface (`default` for all); a surface not named here would never apply."),
  ),
  parsePolicyOverrides,
);
/** What the shape refuses once parsePolicyOverrides (run first, on the body as sent) let it through. */
export const policyError: IssuesToError = (issues) => new AppError("invalid_request", `${issues[0].message}; nothing was stored`);

const storedFlag = v.pipe(v.boolean(), v.description("Whether a configuration was stored; `false`: none ever was, and every surface is served the defaults."));
/** `GET /admin/config/policy`: the overrides as stored, and the defaults they apply over. */
export const policyResponse = v.object({
  stored: storedFlag,
  policy: v.pipe(
    v.record(v.string(), policyShape),
    v.description("The overrides per surface as stored (`{}` when none); a surface's own over `default` over `defaults`."),
  ),
  defaults: v.pipe(policyShape, v.description("What a knob is when no override names it.")),
});
/** `GET /admin/config/editorial`: the lists as stored. */
export const editorialResponse = v.object({
  stored: storedFlag,
  editorial: v.pipe(v.record(v.string(), editorialRegions), v.description("Surface -> region -> item ids, as stored (`{}` when none: no editorial source).")),
});
export const storedResponse = v.object({ stored: v.literal(true) });
export const upsertedResponse = v.object({ upserted: v.pipe(v.number(), v.description("Items written.")) });

const USER_ID_MESSAGE = `user id must be ${ID_RULE}`;
export const auditUserParam = v.object({ id: v.pipe(v.string(USER_ID_MESSAGE), v.regex(ID_PATTERN, USER_ID_MESSAGE)) });
export const userEventsResponse = v.object({
  userId: v.string(),
  eventIds: v.pipe(v.array(v.string()), v.description("The user's stored event ids (idempotency window).")),
  pendingOutbox: v.pipe(v.number(), v.description("Events not yet delivered to Redis.")),
  pendingImpressions: v.number(),
});

const MAX_MINUTES = METRICS_TTL_S / 60;
export const metricsQuery = v.object({ minutes: intParam("minutes", 60, 1, MAX_MINUTES, `Window in minutes, 1 to ${MAX_MINUTES}; 60 when absent.`) });
const routeSummary = v.object({
  requests: v.number(),
  p50Ms: v.number(),
  p95Ms: v.number(),
  clientErrorShare: v.number(),
  serverErrorShare: v.number(),
  degradedShare: v.number(),
  cacheHitRate: v.nullable(v.number()),
});
export const metricsResponse = v.object({
  minutes: v.number(),
  routes: v.record(v.string(), routeSummary),
  heavyShare: v.pipe(v.nullable(v.number()), v.description("Share of recommendation answers ordered by the heavy ranker.")),
  orders: v.record(v.string(), v.number()),
  ctr: v.pipe(v.record(v.string(), v.object({ shown: v.number(), clicks: v.number(), ctr: v.number() })), v.description("Clicks per item shown, by surface.")),
  degradedCodes: v.record(v.string(), v.number()),
});

const COUNTERS_MESSAGE =
  "variant must be a label as lists are logged under (default, holdout, or experiment=variant joined by +, e.g. home-ranker-2=b) " +
  "and region a lower-case country code, global or all";
/** One id of a label: it ends at `=`, `+` or the label's end, and each is held to the id rule (not only dots) on its own. */
const LABEL_ID = embeddedIdSource("=+");
/** A variant label (assign-user.ts): `default`, `holdout`, or `experiment=variant` per experiment joined by `+`; a bare id as before. */
const VARIANT_LABEL = new RegExp(`^${LABEL_ID}(=${LABEL_ID})?(\\+${LABEL_ID}=${LABEL_ID})*$`);
export const variantParam = v.object({
  variant: v.pipe(
    v.string(),
    v.maxLength(1024, COUNTERS_MESSAGE),
    v.regex(VARIANT_LABEL, COUNTERS_MESSAGE),
    v.description(
      "The label lists are logged under: `default`, `holdout`, or `experiment=variant` (joined by `+` for a user in several experiments), " +
        "e.g. `home-ranker-2=b` (`=` may be sent as `%3D`, `+` as `%2B`).",
    ),
  ),
});
export const countersQuery = v.object({
  region: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^([a-z]{2}|global|all)$/, COUNTERS_MESSAGE),
      v.description(
        "A lower-case country code; `global` for requests whose country the edge did not know; `all` (when absent) sums every region and lists each in `regions`.",
      ),
    ),
    "all",
  ),
});
const counterMap = v.record(v.string(), v.number());
export const countersResponse = v.object({
  variant: v.string(),
  region: v.string(),
  counters: v.pipe(counterMap, v.description("Impressions and attributed events per type (`ev:click`, ...); with `region=all`, the sum over regions.")),
  regions: v.optional(v.pipe(v.record(v.string(), counterMap), v.description("With `region=all`: each region that has counters, as read."))),
});
