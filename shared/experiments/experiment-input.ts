import { AppError, type ErrorCode } from "../errors";
import { idRule, isValidId } from "../ids";
import { SOURCES } from "../ranking/candidate";
import { lightWeightsProblem, type LightWeights } from "../ranking/light-rank";
import { type Exploration, explorationProblem } from "../ranking/policy/exploration";
import { type PolicyConfig, policyProblem } from "../ranking/policy/policy-config";
import { BUCKETS } from "./bucket-hash";
import { type Experiment, type Holdout, type RegionAllocation, type VariantOverrides } from "./experiment";

/** The fields an admin sends to create or update a draft; the rest (status, times) the store sets. */
export type ExperimentDefinition = Pick<
  Experiment,
  "id" | "name" | "layer" | "salt" | "trafficStart" | "trafficEnd" | "control" | "variants" | "allocation" | "surfaces"
>;

const TOP_LEVEL = new Set(["id", "name", "layer", "salt", "traffic", "trafficOffset", "control", "variants", "allocation", "surfaces"]);
const OVERRIDE_KNOBS = new Set(["indexVersion", "lightWeights", "heavyRanker", "policy", "exploration", "sourceQuotas"]);
const REGION_KEY = /^([a-z]{2}|global|default)$/;
const MAX_VARIANTS = 10;
const MAX_QUOTA = 1000;
/**
 * Names every JavaScript object has (`constructor`, `toString`, `__proto__`,
 * ...) and `prototype`: as an experiment or variant id, a lookup in a plain
 * object finds the inherited value where the id has none, and the route's
 * schema drops `__proto__`, `constructor` and `prototype` keys unseen.
 */
const isReservedName = (name: string) => Object.hasOwn(Object.prototype, name) || name === "prototype";
/** Shares are percent with at most two decimals: whole basis points. */
const toBasisPoints = (percent: number) => Math.round(percent * (BUCKETS / 100));

function fail(code: ErrorCode, message: string, field: string): never {
  throw new AppError(code, `${message}; nothing was stored`, { field });
}

/**
 * Validates an experiment definition from the admin API. Throws an AppError
 * whose code says what is wrong (unknown_knob, invalid_allocation,
 * invalid_experiment); index versions are checked by the caller, which can
 * read KV. Input:
 * `{id, name?, layer?, salt?, traffic?: percent, trafficOffset?: percent, control, variants: {id: overrides},
 *   allocation: {default: {variant: percent}, <country>: {...}}, surfaces?: [...]}`.
 */
export function parseExperimentDefinition(body: unknown): ExperimentDefinition {
  if (typeof body !== "object" || body === null || Array.isArray(body)) fail("invalid_experiment", "send an experiment object", "");
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!TOP_LEVEL.has(key)) fail("unknown_knob", `unknown field "${key}"`, key);
  if (!isValidId(b.id) || b.id.length > 64) fail("invalid_experiment", `id must be ${idRule(64)}`, "id");
  const id = b.id as string;
  if (isReservedName(id)) fail("invalid_experiment", `id "${id}" is reserved (every JavaScript object has it); pick another`, "id");
  const name = b.name ?? id;
  if (typeof name !== "string" || name.length > 200) fail("invalid_experiment", "name must be a string of at most 200 characters", "name");
  const layer = b.layer ?? "default";
  if (!isValidId(layer) || layer.length > 64) fail("invalid_experiment", `layer must be ${idRule(64)}`, "layer");
  const salt = b.salt ?? id;
  if (typeof salt !== "string" || salt.length < 1 || salt.length > 128) fail("invalid_experiment", "salt must be a string of 1-128 characters", "salt");
  const traffic = percentField(b.traffic ?? 100, "traffic");
  const offset = percentField(b.trafficOffset ?? 0, "trafficOffset");
  const trafficStart = toBasisPoints(offset);
  const trafficEnd = trafficStart + toBasisPoints(traffic);
  if (trafficEnd > BUCKETS || trafficEnd === trafficStart) fail("invalid_experiment", "trafficOffset + traffic must be above 0 and at most 100", "traffic");

  if (typeof b.variants !== "object" || b.variants === null || Array.isArray(b.variants)) {
    fail("invalid_experiment", 'variants must be an object of variant id -> overrides, e.g. {"a": {}, "b": {"indexVersion": "..."}}', "variants");
  }
  const entries = Object.entries(b.variants as Record<string, unknown>);
  if (entries.length < 2 || entries.length > MAX_VARIANTS) fail("invalid_experiment", `an experiment needs 2 to ${MAX_VARIANTS} variants`, "variants");
  const variants = entries.map(([vid, overrides]) => {
    if (!isValidId(vid) || vid.length > 32 || vid === "holdout" || vid === "default") {
      fail("invalid_experiment", `variant id "${vid}" must be ${idRule(32)}, and not "holdout" or "default"`, `variants.${vid}`);
    }
    if (isReservedName(vid)) fail("invalid_experiment", `variant id "${vid}" is reserved (every JavaScript object has it); pick another`, `variants.${vid}`);
    return { id: vid, overrides: parseOverrides(overrides, `variants.${vid}`) };
  });
  const ids = variants.map((v) => v.id);
  if (typeof b.control !== "string" || !ids.includes(b.control))
    fail("invalid_experiment", `control must name one of the variants (${ids.join(", ")})`, "control");

  const allocation = parseAllocation(b.allocation, ids);
  const surfaces = b.surfaces ?? [];
  if (!Array.isArray(surfaces) || !surfaces.every((s) => s === "home" || s === "up_next" || s === "related")) {
    fail("invalid_experiment", "surfaces must be a list of home, up_next, related (empty = all)", "surfaces");
  }
  return {
    id,
    name,
    layer: layer as string,
    salt,
    trafficStart,
    trafficEnd,
    control: b.control as string,
    variants,
    allocation,
    surfaces: [...new Set(surfaces as string[])],
  };
}

function percentField(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 100 || Math.abs(v * 100 - Math.round(v * 100)) > 1e-6) {
    fail("invalid_experiment", `${field} must be a percent from 0 to 100 with at most two decimals`, field);
  }
  return v;
}

function parseAllocation(value: unknown, variantIds: string[]): Record<string, RegionAllocation> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail("invalid_allocation", 'allocation must be an object of region -> {variant: percent}, with "default"', "allocation");
  }
  const out: Record<string, RegionAllocation> = {};
  for (const [rawRegion, shares] of Object.entries(value as Record<string, unknown>)) {
    const region = rawRegion.toLowerCase();
    const field = `allocation.${rawRegion}`;
    if (!REGION_KEY.test(region)) fail("invalid_allocation", `region "${rawRegion}" must be a two-letter country code, global or default`, field);
    if (out[region]) fail("invalid_allocation", `region "${rawRegion}" appears twice`, field);
    if (typeof shares !== "object" || shares === null || Array.isArray(shares))
      fail("invalid_allocation", `${field} must be an object of variant -> percent`, field);
    let total = 0;
    const parsed: RegionAllocation = {};
    for (const [variant, share] of Object.entries(shares as Record<string, unknown>)) {
      if (!variantIds.includes(variant)) fail("invalid_allocation", `${field} names "${variant}", which is not a variant`, `${field}.${variant}`);
      parsed[variant] = percentField(share, `${field}.${variant}`);
      total += toBasisPoints(parsed[variant]);
    }
    if (total !== BUCKETS) fail("invalid_allocation", `${field}: shares sum to ${total / 100}, not 100`, field);
    out[region] = parsed;
  }
  if (!out.default) fail("invalid_allocation", 'allocation needs a "default" entry for every region not listed', "allocation");
  return out;
}

/** Validates a variant's overrides; an unknown knob is its own code (a typo must not silently test nothing). */
export function parseOverrides(value: unknown, field: string): VariantOverrides {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("invalid_experiment", `${field} must be an object of overrides`, field);
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!OVERRIDE_KNOBS.has(key)) fail("unknown_knob", `${field}: unknown knob "${key}" (known: ${[...OVERRIDE_KNOBS].join(", ")})`, `${field}.${key}`);
  }
  const out: VariantOverrides = {};
  if (o.indexVersion !== undefined) {
    if (typeof o.indexVersion !== "string" || o.indexVersion.length === 0)
      fail("invalid_experiment", `${field}.indexVersion must be a version string`, `${field}.indexVersion`);
    out.indexVersion = o.indexVersion;
  }
  if (o.lightWeights !== undefined) {
    const problem = lightWeightsProblem(o.lightWeights);
    if (problem) fail("invalid_experiment", `${field}.lightWeights: ${problem}`, `${field}.lightWeights`);
    out.lightWeights = o.lightWeights as LightWeights;
  }
  if (o.heavyRanker !== undefined) {
    if (typeof o.heavyRanker !== "boolean") fail("invalid_experiment", `${field}.heavyRanker must be true or false`, `${field}.heavyRanker`);
    out.heavyRanker = o.heavyRanker;
  }
  if (o.policy !== undefined) {
    const problem = policyProblem(o.policy);
    if (problem) fail(problem.startsWith("unknown") ? "unknown_knob" : "invalid_experiment", `${field}.policy: ${problem}`, `${field}.policy`);
    out.policy = o.policy as Partial<PolicyConfig>;
  }
  if (o.exploration !== undefined) {
    const problem = explorationProblem(o.exploration);
    if (problem) fail(problem.startsWith("unknown") ? "unknown_knob" : "invalid_experiment", `${field}.exploration: ${problem}`, `${field}.exploration`);
    out.exploration = o.exploration as Exploration;
  }
  if (o.sourceQuotas !== undefined) {
    const q = o.sourceQuotas;
    if (typeof q !== "object" || q === null || Array.isArray(q))
      fail("invalid_experiment", `${field}.sourceQuotas must be an object of source -> count`, `${field}.sourceQuotas`);
    for (const [source, n] of Object.entries(q as Record<string, unknown>)) {
      if (!(SOURCES as readonly string[]).includes(source))
        fail("unknown_knob", `${field}.sourceQuotas: unknown source "${source}" (known: ${SOURCES.join(", ")})`, `${field}.sourceQuotas.${source}`);
      if (!Number.isInteger(n) || (n as number) < 0 || (n as number) > MAX_QUOTA)
        fail("invalid_experiment", `${field}.sourceQuotas.${source} must be an integer from 0 to ${MAX_QUOTA}`, `${field}.sourceQuotas.${source}`);
    }
    out.sourceQuotas = q as VariantOverrides["sourceQuotas"];
  }
  return out;
}

/** Index versions the definition routes to: each must be published before it is stored. */
export function indexVersionsOf(d: Pick<Experiment, "variants">): string[] {
  return [...new Set(d.variants.flatMap((v) => (v.overrides.indexVersion ? [v.overrides.indexVersion] : [])))];
}

/** Refuses a traffic range that overlaps another unstopped experiment of the same layer (they must exclude each other); drafts are checked again when they start. */
export function assertNoOverlap(d: ExperimentDefinition, others: readonly Experiment[]): void {
  for (const e of others) {
    if (e.id === d.id || e.status === "stopped" || e.layer !== d.layer) continue;
    if (d.trafficStart < e.trafficEnd && e.trafficStart < d.trafficEnd) {
      fail(
        "overlapping_experiment",
        `traffic ${d.trafficStart / 100}-${d.trafficEnd / 100}% of layer "${d.layer}" overlaps experiment "${e.id}" (${e.trafficStart / 100}-${e.trafficEnd / 100}%)`,
        "traffic",
      );
    }
  }
}

/** Validates the global holdout: `{salt?, percent, offset?}` -> a bucket range of its own hash. */
export function parseHoldout(body: unknown): Holdout {
  if (typeof body !== "object" || body === null || Array.isArray(body)) fail("invalid_holdout", 'send {"percent": 2} (and optionally "salt", "offset")', "");
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!["salt", "percent", "offset"].includes(key)) fail("unknown_knob", `unknown holdout field "${key}"`, key);
  const salt = b.salt ?? "holdout";
  if (typeof salt !== "string" || salt.length < 1 || salt.length > 128) fail("invalid_holdout", "salt must be a string of 1-128 characters", "salt");
  const ok = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 100 && Math.abs(v * 100 - Math.round(v * 100)) < 1e-6;
  if (!ok(b.percent)) fail("invalid_holdout", "percent must be from 0 to 100 with at most two decimals", "percent");
  const offset = b.offset ?? 0;
  if (!ok(offset)) fail("invalid_holdout", "offset must be from 0 to 100 with at most two decimals", "offset");
  const start = toBasisPoints(offset as number);
  const end = start + toBasisPoints(b.percent as number);
  if (end > BUCKETS) fail("invalid_holdout", "offset + percent must be at most 100", "percent");
  return { salt, start, end };
}
