import { assign, experimentsFor } from "../../../shared/experiments/assignment";
import { type Experiment, type Holdout } from "../../../shared/experiments/experiment";
import { CANARY_VARIANTS } from "./canary-experiment";

export interface CanaryCheckOptions {
  url: string;
  /** A secret key: probes ask as the customer's server would, for users it names. */
  adminKey: string;
  /** The canary experiment as started, and the global holdout: probe users are chosen by the Worker's own assignment. */
  experiment: Experiment;
  holdout: Holdout;
  /** The candidate the canary's treatment variant pins, and the version that must stay current meanwhile. */
  version: string;
  liveVersion: string;
  /** Items to ask related and up-next lists for (from the candidate's popular list). */
  itemIds: string[];
  /** Probe users routed to the candidate (default 5). */
  probes?: number;
  /** How long routing may take to reach the Worker (each isolate re-reads running experiments every ~10 s). */
  settleMs?: number;
  /** Stages that may be degraded on a fresh isolate without failing the canary. */
  allowedDegraded?: string[];
  listSize?: number;
}

export interface CanaryCheck {
  name: string;
  pass: boolean;
  detail: string;
}

interface RecsBody {
  indexVersion?: string;
  degraded?: string[];
  items?: { itemId: string; score: number }[];
}

/**
 * The users (fresh ids for this experiment, so no earlier first-exposure
 * region sticks to them) whom the canary assigns to its candidate variant,
 * and the region each must come from. A region canary's probes say their
 * region in X-Region, which the Worker takes from a caller holding a secret
 * key, as the probes do (worker/src/experiments/request-region.ts), in
 * production as locally.
 */
export function canaryProbeUsers(experiment: Experiment, holdout: Holdout, count: number): { userId: string; region: string | null }[] {
  const regions = Object.keys(experiment.allocation).filter((r) => r !== "default");
  const region = regions[0] ?? null;
  const set = { running: [experiment], holdout };
  const users: { userId: string; region: string | null }[] = [];
  for (let i = 0; users.length < count && i < 1_000_000; i++) {
    const userId = `probe-${experiment.id}-${i}`;
    if (experimentsFor(set, userId, "home").length === 0) continue;
    if (assign(experiment, userId, region ?? "global").variant === CANARY_VARIANTS.candidate) users.push({ userId, region });
  }
  return users;
}

/**
 * The canary's checks: /health answers ok with the live version still
 * current, and for a sample of users the canary experiment assigns to the
 * candidate, home, related and up-next lists answer 200 from the candidate
 * version, not degraded, with a full list of distinct items and finite
 * scores. Probes send no events, so they never reach training data.
 */
export async function checkCanary(options: CanaryCheckOptions): Promise<{ pass: boolean; checks: CanaryCheck[] }> {
  const settleUntil = Date.now() + (options.settleMs ?? 0);
  const allowed = new Set(options.allowedDegraded ?? ["heavy_ranker_warming"]);
  const limit = options.listSize ?? 10;
  const checks: CanaryCheck[] = [];

  const res = await fetch(new URL("/health", options.url), { headers: { Authorization: `Bearer ${options.adminKey}` } }).catch(() => null);
  const health = res ? ((await res.json().catch(() => ({}))) as { status?: string; indexVersion?: string | null }) : {};
  checks.push({
    name: "health",
    pass: res?.status === 200 && health.status === "ok" && health.indexVersion === options.liveVersion,
    detail: `status ${res?.status ?? 0}, ${health.status ?? "?"}, current ${health.indexVersion ?? "?"} (live ${options.liveVersion})`,
  });

  const users = canaryProbeUsers(options.experiment, options.holdout, options.probes ?? 5);
  if (users.length === 0) checks.push({ name: "probe users", pass: false, detail: "the canary assigns no user to its candidate" });
  const items = options.itemIds.length > 0 ? options.itemIds : [""];
  for (const [n, { userId, region }] of users.entries()) {
    const item = encodeURIComponent(items[n % items.length]!);
    for (const query of [`surface=home`, `surface=related&item_id=${item}`, `surface=up_next&item_id=${item}`]) {
      const path = `/v1/recommendations?user_id=${userId}&${query}&limit=${limit}`;
      let problem: string | null = null;
      for (;;) {
        problem = await probe(options, path, region, limit, allowed);
        if (problem === null || !problem.startsWith("served by") || Date.now() >= settleUntil) break;
        await sleep(1000);
      }
      if (problem?.startsWith("served by") && region) problem += ` (a probe from region ${region} in X-Region)`;
      checks.push({ name: path, pass: problem === null, detail: problem ?? "ok" });
    }
  }
  return { pass: checks.every((c) => c.pass), checks };
}

async function probe(options: CanaryCheckOptions, path: string, region: string | null, limit: number, allowed: Set<string>): Promise<string | null> {
  const version = options.version;
  const headers: Record<string, string> = { Authorization: `Bearer ${options.adminKey}`, ...(region && region !== "global" ? { "X-Region": region } : {}) };
  const res = await fetch(new URL(path, options.url), { headers }).catch((err: unknown) => ({ status: 0, err }) as const);
  if (!("json" in res)) return `request failed: ${String(res.err)}`;
  if (res.status !== 200) return `status ${res.status}: ${(await res.text()).slice(0, 200)}`;
  const body = (await res.json()) as RecsBody;
  if (body.indexVersion !== version) return `served by ${body.indexVersion}, not the canary`;
  const degraded = (body.degraded ?? []).filter((d) => !allowed.has(d));
  if (degraded.length > 0) return `degraded: ${degraded.join(", ")}`;
  const list = body.items ?? [];
  if (list.length !== limit) return `${list.length} items, asked for ${limit}`;
  if (new Set(list.map((i) => i.itemId)).size !== list.length) return "repeats an item";
  if (!list.every((i) => Number.isFinite(i.score))) return "a score is not finite";
  return null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
