import { ownValue } from "../data-record";
import { BUCKETS, bucketOf } from "./bucket-hash";
import { type Experiment, type ExperimentSet, layerSalt, type RegionAllocation, type VariantOverrides } from "./experiment";

/** One experiment's decision for one unit. */
export interface Assignment {
  experimentId: string;
  variant: string;
  /** The unit's region at first exposure: its allocation (or the default one) decided the variant. */
  region: string;
  overrides: VariantOverrides;
}

/** Whether the unit is in the global holdout. */
export function inHoldout(set: ExperimentSet, unit: string): boolean {
  const { salt, start, end } = set.holdout;
  if (end <= start) return false;
  const b = bucketOf(salt, unit);
  return b >= start && b < end;
}

/**
 * The running experiments a unit is in, at most one per layer (their traffic
 * ranges in a layer are disjoint), none when it is held out. Layers are
 * visited in name order so that override precedence is stable.
 */
export function experimentsFor(set: ExperimentSet, unit: string, surface: string): Experiment[] {
  if (inHoldout(set, unit)) return [];
  const out: Experiment[] = [];
  const layerBuckets = new Map<string, number>();
  for (const e of [...set.running].sort((a, b) => (a.layer < b.layer ? -1 : a.layer > b.layer ? 1 : 0))) {
    if (e.surfaces.length > 0 && !e.surfaces.includes(surface)) continue;
    let b = layerBuckets.get(e.layer);
    if (b === undefined) layerBuckets.set(e.layer, (b = bucketOf(layerSalt(e.layer), unit)));
    if (b >= e.trafficStart && b < e.trafficEnd) out.push(e);
  }
  return out;
}

/** Whether the region changes anything: only then must the unit's first-exposure region be looked up. */
export function allocatesByRegion(e: Experiment): boolean {
  return Object.keys(e.allocation).some((r) => r !== "default");
}

/**
 * The allocation a region uses: its own, else the default. Allocations and
 * shares are read by own key: an experiment stored before such names were
 * refused may have a variant named `constructor` or `toString`, which every
 * object inherits (a share of a function is NaN, and no bucket is below it).
 */
export function allocationOf(e: Experiment, region: string): { region: string; shares: RegionAllocation } {
  const own = ownValue(e.allocation, region);
  return own ? { region, shares: own } : { region: "default", shares: ownValue(e.allocation, "default") ?? {} };
}

/** The variant a bucket falls in: shares laid end to end in variant order, in basis points. */
export function variantAtBucket(e: Experiment, shares: RegionAllocation, bucket: number): string {
  let upTo = 0;
  for (const v of e.variants) {
    upTo += Math.round((ownValue(shares, v.id) ?? 0) * (BUCKETS / 100));
    if (bucket < upTo) return v.id;
  }
  return e.control;
}

/** The unit's variant in `e`, given its first-exposure region. */
export function assign(e: Experiment, unit: string, region: string): Assignment {
  const variant = variantAtBucket(e, allocationOf(e, region).shares, bucketOf(e.salt, unit));
  const overrides = e.variants.find((v) => v.id === variant)?.overrides ?? {};
  return { experimentId: e.id, variant, region, overrides };
}

/** One bundle of overrides from all of a unit's assignments; the first layer (name order) wins a knob two set. */
export function mergeOverrides(assignments: readonly Assignment[]): VariantOverrides {
  const merged: VariantOverrides = {};
  for (const a of [...assignments].reverse()) {
    const o = a.overrides;
    if (o.indexVersion !== undefined) merged.indexVersion = o.indexVersion;
    if (o.lightWeights !== undefined) merged.lightWeights = o.lightWeights;
    if (o.heavyRanker !== undefined) merged.heavyRanker = o.heavyRanker;
    if (o.policy !== undefined) merged.policy = { ...merged.policy, ...o.policy };
    if (o.exploration !== undefined) merged.exploration = o.exploration;
    if (o.sourceQuotas !== undefined) merged.sourceQuotas = { ...merged.sourceQuotas, ...o.sourceQuotas };
  }
  return merged;
}

/** The variant part of a cache key: "holdout", "default" (in no experiment) or "exp=variant+exp=variant". */
export function variantKey(assignments: readonly Assignment[], heldOut: boolean): string {
  if (heldOut) return "holdout";
  if (assignments.length === 0) return "default";
  return assignments.map((a) => `${a.experimentId}=${a.variant}`).join("+");
}
