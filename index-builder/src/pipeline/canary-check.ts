import { assign, experimentsFor } from "../../../shared/experiments/assignment";
import { type Experiment, type Holdout } from "../../../shared/experiments/experiment";
import { CANARY_VARIANTS } from "./canary-experiment";
import { armStats, type CanaryDecision, decideCanary, DEFAULT_IGNORED_DEGRADED, judgeProbe, type ProbeAnswer, type ProbeOutcome } from "./canary-decision";

export interface CanaryCheckOptions {
  url: string;
  /** A secret key: probes ask as the customer's server would, for users it names. */
  adminKey: string;
  /** The canary experiment as started, and the global holdout: probe users are chosen by the Worker's own assignment. */
  experiment: Experiment;
  holdout: Holdout;
  /** The candidate the canary's treatment variant pins, and the version that must stay current meanwhile (the control arm's). */
  version: string;
  liveVersion: string;
  /** Items to ask related and up-next lists for (from the candidate's popular list). */
  itemIds: string[];
  /** Probe users per arm (default 5; each asks home, related and up next). */
  probes?: number;
  /** How long routing may take to reach the Worker (each isolate re-reads running experiments every ~10 s). */
  settleMs?: number;
  /** Degraded codes ignored in both arms (default: heavy_ranker_warming). */
  allowedDegraded?: string[];
  /** How far the candidate's environment-degraded rate may exceed the control's (default 0.2, see DEFAULT_ENVIRONMENT_TOLERANCE). */
  tolerance?: number;
  listSize?: number;
}

export interface CanaryCheck {
  name: string;
  /** Which arm the probe asked for; absent for /health. */
  arm?: "candidate" | "control";
  pass: boolean;
  detail: string;
}

export type Arm = "candidate" | "control";

/**
 * The users (fresh ids for this experiment, so no earlier first-exposure
 * region sticks to them) for an arm of the canary, and the region each must
 * come from: the candidate arm's users are those the canary assigns to its
 * candidate variant; the control arm's, from the same region, those it
 * assigns to its live variant (or, when the candidate takes the whole
 * layer, users outside the canary, served the live version too). A region canary's probes say their region in
 * X-Region, which the Worker takes from a caller holding a secret key, as
 * the probes do (worker/src/experiments/request-region.ts), in production as
 * locally.
 */
export function canaryProbeUsers(experiment: Experiment, holdout: Holdout, count: number, arm: Arm = "candidate"): { userId: string; region: string | null }[] {
  const regions = Object.keys(experiment.allocation).filter((r) => r !== "default");
  const region = regions[0] ?? null;
  const set = { running: [experiment], holdout };
  // Control users in the canary's live variant take the same path (assignment, region pinning) as the candidate's; others only if it has none.
  const wanted = arm === "candidate" ? CANARY_VARIANTS.candidate : CANARY_VARIANTS.live;
  const users: { userId: string; region: string | null }[] = [];
  const outside: { userId: string; region: string | null }[] = [];
  for (let i = 0; users.length < count && i < 1_000_000; i++) {
    const userId = `probe-${experiment.id}-${i}`;
    const inCanary = experimentsFor(set, userId, "home").length > 0;
    if (inCanary && assign(experiment, userId, region ?? "global").variant === wanted) users.push({ userId, region });
    else if (!inCanary && arm === "control" && outside.length < count) outside.push({ userId, region });
  }
  return [...users, ...outside].slice(0, count);
}

/**
 * The canary's checks: /health answers ok with the live version still
 * current; then the same requests (home, related and up next for each probe
 * user) for the candidate arm and the control arm, interleaved so that load
 * and the shared stores' hiccups fall on both alike. Each answer is judged
 * (judgeProbe) and the arms compared (decideCanary): the candidate fails on
 * any fault of its own, or when the environment degrades it clearly more
 * often than the live version. Probes send no events, so they never reach
 * training data.
 */
export async function checkCanary(options: CanaryCheckOptions): Promise<{ pass: boolean; checks: CanaryCheck[]; decision: CanaryDecision; healthy: boolean }> {
  const settleUntil = Date.now() + (options.settleMs ?? 0);
  const ignored = new Set(options.allowedDegraded ?? DEFAULT_IGNORED_DEGRADED);
  const limit = options.listSize ?? 10;
  const checks: CanaryCheck[] = [];

  const res = await fetch(new URL("/health", options.url), { headers: { Authorization: `Bearer ${options.adminKey}` } }).catch(() => null);
  const health = res ? ((await res.json().catch(() => ({}))) as { status?: string; indexVersion?: string | null }) : {};
  const healthy = res?.status === 200 && health.status === "ok" && health.indexVersion === options.liveVersion;
  checks.push({
    name: "health",
    pass: healthy,
    detail: `status ${res?.status ?? 0}, ${health.status ?? "?"}, current ${health.indexVersion ?? "?"} (live ${options.liveVersion})`,
  });

  const count = options.probes ?? 5;
  const arms = {
    candidate: { version: options.version, users: canaryProbeUsers(options.experiment, options.holdout, count, "candidate"), outcomes: [] as ProbeOutcome[] },
    control: { version: options.liveVersion, users: canaryProbeUsers(options.experiment, options.holdout, count, "control"), outcomes: [] as ProbeOutcome[] },
  };
  const items = options.itemIds.length > 0 ? options.itemIds : [""];
  for (let n = 0; n < count; n++) {
    const item = encodeURIComponent(items[n % items.length]!);
    for (const query of [`surface=home`, `surface=related&item_id=${item}`, `surface=up_next&item_id=${item}`]) {
      for (const arm of ["candidate", "control"] as const) {
        const user = arms[arm].users[n];
        if (!user) continue;
        const path = `/v1/recommendations?user_id=${user.userId}&${query}&limit=${limit}`;
        let outcome: ProbeOutcome;
        for (;;) {
          outcome = judgeProbe(await ask(options, path, user.region), arms[arm].version, limit, ignored);
          if (outcome.kind !== "fault" || !outcome.detail.startsWith("served by") || Date.now() >= settleUntil) break;
          await sleep(1000);
        }
        arms[arm].outcomes.push(outcome);
        // A control fault is recorded but does not fail the canary: the live version's trouble is not the candidate's.
        checks.push({ name: path, arm, pass: arm === "control" || outcome.kind !== "fault", detail: describe(outcome, user.region) });
      }
    }
  }
  const decision = decideCanary(
    armStats(arms.candidate.version, arms.candidate.outcomes),
    armStats(arms.control.version, arms.control.outcomes),
    options.tolerance,
  );
  if (decision.reasons.some((r) => r.startsWith("environment-degraded")))
    checks.push({ name: "environment-degraded rate", pass: false, detail: decision.reasons.filter((r) => r.startsWith("environment-degraded")).join("; ") });
  if (arms.candidate.users.length === 0) checks.push({ name: "probe users", pass: false, detail: "the canary assigns no user to its candidate" });
  return { pass: healthy && decision.pass, checks, decision, healthy };
}

function describe(outcome: ProbeOutcome, region: string | null): string {
  if (outcome.kind === "ok") return "ok";
  if (outcome.kind === "environment") return `environment: ${outcome.codes.join(", ")}`;
  return outcome.detail.startsWith("served by") && region ? `${outcome.detail} (a probe from region ${region} in X-Region)` : outcome.detail;
}

async function ask(options: CanaryCheckOptions, path: string, region: string | null): Promise<ProbeAnswer> {
  const headers: Record<string, string> = { Authorization: `Bearer ${options.adminKey}`, ...(region && region !== "global" ? { "X-Region": region } : {}) };
  const res = await fetch(new URL(path, options.url), { headers }).catch((err: unknown) => ({ status: 0, err }) as const);
  if (!("json" in res)) return { status: 0, body: null, text: `request failed: ${String(res.err)}` };
  const text = await res.text();
  if (res.status !== 200) return { status: res.status, body: null, text };
  try {
    return { status: 200, body: JSON.parse(text) as ProbeAnswer["body"] };
  } catch {
    return { status: 200, body: null, text: `not JSON: ${text}` };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
