/**
 * The publication canary: a candidate version served to a share of users,
 * optionally only in some regions, beside the current version. It is the
 * one routing rule of index versions until experiments land; an experiment
 * variant that pins a version replaces it behind `versionFor` (the Worker
 * asks "which version serves this unit?" and nothing else).
 */
export interface CanaryPointer {
  version: string;
  /** Fraction of users, in [0, 1], routed to `version` (within `regions` when set). */
  share: number;
  /** Lower-case country codes (as the Worker's regionOf answers) or null for everywhere. */
  regions: string[] | null;
  /** ISO-8601 time the canary started. */
  startedAt: string;
  /** ISO-8601 time the version first served (CurrentPointer.catalogAsOf). */
  catalogAsOf: string;
}

/** Who a request serves: the unit of the canary split is the user. */
export interface RoutingUnit {
  userId: string;
  region: string;
}

/** Buckets of the split: hash mod BUCKETS < share * BUCKETS routes to the canary. */
export const CANARY_BUCKETS = 10_000;

/** The unit's bucket for a canary of `version`: FNV-1a (32 bit) of `version:userId`, so each canary draws its own users. */
export function canaryBucket(version: string, userId: string): number {
  let hash = 0x811c9dc5;
  const text = `${version}:${userId}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % CANARY_BUCKETS;
}

/** Whether the canary serves this unit. */
export function inCanary(canary: CanaryPointer, unit: RoutingUnit): boolean {
  if (canary.regions && !canary.regions.includes(unit.region)) return false;
  return canaryBucket(canary.version, unit.userId) < Math.round(canary.share * CANARY_BUCKETS);
}

/** The version that serves a unit: the canary's when it covers the unit, else the current one. */
export function versionFor(current: string, canary: CanaryPointer | null, unit: RoutingUnit): string {
  return canary && inCanary(canary, unit) ? canary.version : current;
}

/** The first problem of a canary request body, or null. */
export function canaryProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return 'send {"version", "share", "regions"?}';
  const v = value as Record<string, unknown>;
  if (typeof v.version !== "string") return "version must be a published version";
  if (typeof v.share !== "number" || !(v.share >= 0 && v.share <= 1)) return "share must be a number from 0 to 1";
  if (v.regions !== undefined && v.regions !== null) {
    if (!Array.isArray(v.regions) || v.regions.length === 0 || v.regions.length > 300) return "regions must be a non-empty array of at most 300 codes, or null";
    if (!v.regions.every((r) => typeof r === "string" && /^([a-z]{2}|global)$/.test(r))) return "each region is a lower-case country code or global";
  }
  return null;
}
