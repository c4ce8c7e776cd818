import { type CanaryPointer, inCanary } from "../../../shared/index-format/canary";

export interface CanaryCheckOptions {
  url: string;
  /** A secret key: probes ask as the customer's server would, for users it names. */
  adminKey: string;
  /** The candidate under canary. */
  canary: CanaryPointer;
  /** Items to ask related and up-next lists for (from the candidate's popular list). */
  itemIds: string[];
  /** Probe users routed to the canary (default 5). */
  probes?: number;
  /** How long routing may take to reach the Worker (KV is eventually consistent, ~60 s on Cloudflare). */
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
 * The canary's checks: /health answers ok and names the canary, and for a
 * sample of probe users the canary routes (same hash as the Worker), home,
 * related and up-next lists answer 200 from the candidate version, not
 * degraded, with a full list of distinct items and finite scores. Probes
 * send no events, so they never reach training data.
 */
export async function checkCanary(options: CanaryCheckOptions): Promise<{ pass: boolean; checks: CanaryCheck[] }> {
  const { canary } = options;
  const settleUntil = Date.now() + (options.settleMs ?? 0);
  const allowed = new Set(options.allowedDegraded ?? ["heavy_ranker_warming"]);
  const limit = options.listSize ?? 10;
  const checks: CanaryCheck[] = [];

  let health: { status?: string; bindings?: { kv?: { canary?: { version?: string } | null } } } = {};
  let healthStatus = 0;
  for (;;) {
    const res = await fetch(new URL("/health", options.url), { headers: { Authorization: `Bearer ${options.adminKey}` } }).catch(() => null);
    healthStatus = res?.status ?? 0;
    health = res ? ((await res.json().catch(() => ({}))) as typeof health) : {};
    if (health.bindings?.kv?.canary?.version === canary.version || Date.now() >= settleUntil) break;
    await sleep(1000);
  }
  const named = health.bindings?.kv?.canary?.version === canary.version;
  checks.push({
    name: "health",
    pass: healthStatus === 200 && health.status === "ok" && named,
    detail: `status ${healthStatus}, ${health.status ?? "?"}, canary ${named ? "named" : "not named"}`,
  });

  const users: string[] = [];
  // Regions cannot be chosen from here: a region canary is probed from wherever this runs.
  for (let i = 0; users.length < (options.probes ?? 5) && i < 100_000; i++) {
    const userId = `canary-probe-${i}`;
    if (inCanary({ ...canary, regions: null }, { userId, region: "global" })) users.push(userId);
  }
  const items = options.itemIds.length > 0 ? options.itemIds : [""];
  for (const [n, userId] of users.entries()) {
    const item = encodeURIComponent(items[n % items.length]!);
    for (const query of [`surface=home`, `surface=related&item_id=${item}`, `surface=up_next&item_id=${item}`]) {
      const path = `/v1/recommendations?user_id=${userId}&${query}&limit=${limit}`;
      let problem: string | null = null;
      for (;;) {
        problem = await probe(options, path, canary.version, allowed, limit);
        if (problem === null || !problem.startsWith("served by") || Date.now() >= settleUntil) break;
        await sleep(1000);
      }
      checks.push({ name: path, pass: problem === null, detail: problem ?? "ok" });
    }
  }
  return { pass: checks.every((c) => c.pass), checks };
}

async function probe(options: CanaryCheckOptions, path: string, version: string, allowed: Set<string>, limit: number): Promise<string | null> {
  const headers = { Authorization: `Bearer ${options.adminKey}` };
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
