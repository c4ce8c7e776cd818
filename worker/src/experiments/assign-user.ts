import { allocatesByRegion, assign, type Assignment, experimentsFor, inHoldout, mergeOverrides, variantKey } from "../../../shared/experiments/assignment";
import { dataRecord, ownValue } from "../../../shared/data-record";
import { type VariantOverrides } from "../../../shared/experiments/experiment";
import { withBudget } from "../../../shared/funnel/budget";
import { sessionStub } from "../session/session-stub";
import { runningExperiments } from "./experiment-store";

/** What the experiments decided for one request. */
export interface UserExposure {
  heldOut: boolean;
  assignments: Assignment[];
  /** Cache-key and log label: "default", "holdout" or "exp=variant+...". */
  label: string;
  overrides: VariantOverrides;
  /** Stages that failed; the user is then served outside the experiments they concern, and not exposed to them. */
  degraded: string[];
}

/** D1 is read once per isolate every ~10 s; a cold read waits at most this. */
const EXPERIMENTS_BUDGET_MS = 300;
/** The first-exposure region is one Durable Object call. */
const REGIONS_BUDGET_MS = 300;

/**
 * Assigns a user (the unit) to the running experiments on this surface:
 * holdout first, then one experiment per layer by the layer hash, then the
 * variant by the experiment's salt through the allocation of the user's
 * region at first exposure, which the user's session keeps. The session is
 * asked only when an experiment allocates by region.
 */
export async function assignUser(env: Env, userId: string, surface: string, region: string, defer: (work: Promise<unknown>) => void): Promise<UserExposure> {
  const read = await withBudget("experiments", EXPERIMENTS_BUDGET_MS, () => runningExperiments(env.DB, defer));
  if (!read.ok) return { heldOut: false, assignments: [], label: "default", overrides: {}, degraded: [read.degraded] };
  const set = read.value;
  if (set.running.length === 0 && set.holdout.end <= set.holdout.start)
    return { heldOut: false, assignments: [], label: "default", overrides: {}, degraded: [] };
  if (inHoldout(set, userId)) return { heldOut: true, assignments: [], label: "holdout", overrides: {}, degraded: [] };
  let experiments = experimentsFor(set, userId, surface);
  const degraded: string[] = [];
  let regions: Record<string, string> = {};
  const regional = experiments.filter(allocatesByRegion).map((e) => e.id);
  if (regional.length > 0) {
    const pinned = await withBudget("experiment_regions", REGIONS_BUDGET_MS, () => sessionStub(env, userId).experimentRegions(regional, region));
    if (pinned.ok) {
      regions = dataRecord<string>();
      for (const pin of pinned.value) regions[pin.experimentId] = pin.region;
    } else {
      // Without the first-exposure region a traveller could land in another variant: leave those experiments out this time.
      degraded.push(pinned.degraded);
      experiments = experiments.filter((e) => !regional.includes(e.id));
    }
  }
  // By own key: an experiment stored before such ids were refused may be named `__proto__` or `constructor`, which every object has.
  const assignments = experiments.map((e) => assign(e, userId, ownValue(regions, e.id) ?? region));
  return { heldOut: false, assignments, label: variantKey(assignments, false), overrides: mergeOverrides(assignments), degraded };
}
