import { ownValue } from "../data-record";
import { allocationOf } from "./assignment";
import { type Experiment } from "./experiment";
import { histogramQuantile } from "./guardrails";
import { srmTest, type SrmResult } from "./stats/chi-square";
import { estimateRatios, lift, type LiftEstimate, type RatioEstimate, type UnitTotals } from "./stats/ratio-metric";

/** One exposed user's totals in an experiment: the unit of analysis. */
export interface ExposedUser {
  userId: string;
  variant: string;
  /** Region at first exposure. */
  region: string;
  impressions: number;
  /** Attributed events by type. */
  events: Record<string, number>;
  /** Impressions and clicks before first exposure (the CUPED pre-period). */
  preImpressions: number;
  preClicks: number;
}

/** Guardrail counters of one variant. */
export interface VariantGuardCounts {
  impressions: number;
  degraded: number;
  errors: number;
  /** Server-time histogram: upper bound (ms) -> count (guardrails.ts). */
  serverMs: Map<number, number>;
}

export interface VariantResult {
  variant: string;
  users: number;
  impressions: number;
  events: Record<string, number>;
  /** Clicks per impression, per-user delta-method CI. */
  ctr: RatioEstimate;
  /** Against control (absent for the control). */
  lift?: LiftEstimate;
  /** The same with CUPED, when a pre-period exists. */
  ctrCuped?: RatioEstimate;
  liftCuped?: LiftEstimate;
}

export interface ScopeResult {
  /** "pooled" or a region code. */
  scope: string;
  srm: SrmResult;
  cuped: { on: boolean; usersWithPrePeriod: number; reason?: string };
  variants: VariantResult[];
}

export interface ExperimentReport {
  experiment: Pick<Experiment, "id" | "name" | "status" | "control" | "layer" | "startedAtMs" | "stoppedAtMs"> & { variants: string[] };
  generatedAtMs: number;
  confidence: number;
  /** True when any scope's SRM test fails: the report's metrics are not to be read. */
  srmFlagged: boolean;
  pooled: ScopeResult;
  regions: ScopeResult[];
  guardrails: { variant: string; impressions: number; serverP95Ms: number | null; degradedShare: number; errorShare: number }[];
  notes: string[];
}

/** Users needed in a scope before its statistics mean anything. */
const MIN_USERS_PER_SCOPE = 20;

/**
 * The report of an experiment from its exposed users. The user is the unit:
 * CTR is Σclicks/Σimpressions of a variant's users with a delta-method CI
 * (stats/ratio-metric.ts); lift against the control with its CI; CUPED
 * (Deng et al. 2013) on the same ratio with the pre-period CTR as covariate
 * when users have a pre-period; a sample-ratio-mismatch chi-square on
 * exposed users against the configured allocation, per region and pooled.
 */
export function buildReport(
  e: Experiment,
  users: readonly ExposedUser[],
  guards: ReadonlyMap<string, VariantGuardCounts>,
  nowMs: number,
  confidence = 0.95,
): ExperimentReport {
  const regions = [...new Set(users.map((u) => u.region))].sort();
  const pooled = scopeResult(e, "pooled", users, confidence);
  const perRegion = regions.map((r) =>
    scopeResult(
      e,
      r,
      users.filter((u) => u.region === r),
      confidence,
    ),
  );
  const srmFlagged = [pooled, ...perRegion].some((s) => s.srm.mismatch);
  const notes: string[] = [];
  if (srmFlagged) {
    const where = [pooled, ...perRegion].filter((s) => s.srm.mismatch).map((s) => `${s.scope} (p = ${s.srm.pValue.toExponential(2)})`);
    notes.push(`SAMPLE RATIO MISMATCH in ${where.join(", ")}: users did not split as configured; do not read this report's metrics until the cause is found.`);
  }
  for (const s of [pooled, ...perRegion])
    if (s.srm.observed && Object.values(s.srm.observed).reduce((a, b) => a + b, 0) < MIN_USERS_PER_SCOPE)
      notes.push(`${s.scope}: fewer than ${MIN_USERS_PER_SCOPE} users; too few to read.`);
  return {
    experiment: {
      id: e.id,
      name: e.name,
      status: e.status,
      control: e.control,
      layer: e.layer,
      startedAtMs: e.startedAtMs,
      stoppedAtMs: e.stoppedAtMs,
      variants: e.variants.map((v) => v.id),
    },
    generatedAtMs: nowMs,
    confidence,
    srmFlagged,
    pooled,
    regions: perRegion,
    guardrails: e.variants.map((v) => {
      const g = guards.get(v.id);
      const served = (g?.impressions ?? 0) + (g?.errors ?? 0);
      return {
        variant: v.id,
        impressions: g?.impressions ?? 0,
        serverP95Ms: g ? histogramQuantile(g.serverMs, 0.95) : null,
        degradedShare: g && g.impressions > 0 ? g.degraded / g.impressions : 0,
        errorShare: served > 0 ? (g?.errors ?? 0) / served : 0,
      };
    }),
    notes,
  };
}

function scopeResult(e: Experiment, scope: string, users: readonly ExposedUser[], confidence: number): ScopeResult {
  const byVariant = new Map<string, ExposedUser[]>(e.variants.map((v) => [v.id, []]));
  for (const u of users) byVariant.get(u.variant)?.push(u);
  const observed = Object.fromEntries([...byVariant].map(([v, list]) => [v, list.length]));
  // Expected users per variant: each region's users split by that region's allocation (the default where it has none).
  const expected = Object.fromEntries(e.variants.map((v) => [v.id, 0]));
  const regionCounts = new Map<string, number>();
  for (const u of users) if (byVariant.has(u.variant)) regionCounts.set(u.region, (regionCounts.get(u.region) ?? 0) + 1);
  for (const [region, n] of regionCounts) {
    const { shares } = allocationOf(e, region);
    for (const v of e.variants) expected[v.id]! += (n * (ownValue(shares, v.id) ?? 0)) / 100;
  }
  const srm = srmTest(observed, expected);

  const order = [e.control, ...e.variants.map((v) => v.id).filter((v) => v !== e.control)];
  const groups = order.map((v) => byVariant.get(v)!);
  const withPre = users.filter((u) => u.preImpressions > 0).length;
  let preNum = 0;
  let preDen = 0;
  for (const u of users) {
    preNum += u.preClicks;
    preDen += u.preImpressions;
  }
  const preRate = preDen > 0 ? preNum / preDen : 0;
  const totals = (list: ExposedUser[], cuped: boolean): UnitTotals => ({
    numerator: Float64Array.from(list, (u) => u.events.click ?? 0),
    denominator: Float64Array.from(list, (u) => u.impressions),
    // The pre-period's CTR, linearized like the metric (clicks − rate·impressions): fixed before exposure, so unaffected by the variant.
    ...(cuped ? { covariate: Float64Array.from(list, (u) => u.preClicks - preRate * u.preImpressions) } : {}),
  });
  const plain = estimateRatios(
    groups.map((g) => totals(g, false)),
    confidence,
  );
  const cupedOn = withPre > 0 && preNum > 0 && groups.every((g) => g.length > 1);
  const adjusted = cupedOn
    ? estimateRatios(
        groups.map((g) => totals(g, true)),
        confidence,
      )
    : null;
  const cupedApplied = adjusted !== null && adjusted.every((r) => r.cuped);
  const variants: VariantResult[] = order.map((variant, k) => {
    const list = groups[k]!;
    const events: Record<string, number> = {};
    let impressions = 0;
    for (const u of list) {
      impressions += u.impressions;
      for (const [type, n] of Object.entries(u.events)) events[type] = (events[type] ?? 0) + n;
    }
    const result: VariantResult = { variant, users: list.length, impressions, events, ctr: plain[k]! };
    if (k > 0 && list.length > 1 && groups[0]!.length > 1) result.lift = lift(plain[k]!, plain[0]!, confidence);
    if (cupedApplied) {
      result.ctrCuped = adjusted![k]!;
      if (k > 0) result.liftCuped = lift(adjusted![k]!, adjusted![0]!, confidence);
    }
    return result;
  });
  const cuped = cupedApplied
    ? { on: true, usersWithPrePeriod: withPre }
    : {
        on: false,
        usersWithPrePeriod: withPre,
        reason:
          withPre === 0
            ? "no user has a pre-period (impressions before first exposure)"
            : "the pre-period has no clicks or no variance, or a variant has under 2 users",
      };
  return { scope, srm, cuped, variants };
}
