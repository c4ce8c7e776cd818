/**
 * `npm run bench:chaos`: bounded loopback load (recommendations and event
 * batches) against `wrangler dev` with a real redis-server, while
 * - redis-server is killed (SIGKILL) and restarted, twice;
 * - KV and D1 calls fail at random: the Worker runs with the dev-only
 *   DEV_FAULTS var (worker/src/dev/fault-injection.ts), honoured only for
 *   /v1 requests addressed to a loopback host;
 * then audits: 0 answers of 500 or more (during the load; the warm-up until
 * the isolate's first good answer is reported apart), 0 accepted events lost
 * or duplicated (each in its user's Durable Object and in the Redis stream
 * exactly once, after the outboxes drain), 0 withdrawn or region-blocked
 * items served. Writes bench/results/chaos.json; exits 1 when an audit fails.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CatalogItem } from "../shared/catalog/catalog-item";
import { buildIndex } from "../index-builder/src/build/build-index";
import { readMovieLensLatest } from "../index-builder/src/data/movielens";
import { freePort } from "../index-builder/src/local/free-port";
import { type LocalStack, startLocalStack } from "../index-builder/src/local/local-stack";
import { PROJECT_ROOT } from "../index-builder/src/local/wrangler";
import { publishIndex } from "../index-builder/src/publish/publish-index";
import { auditAcceptedEvents } from "./lib/event-audit";
import { quantile, round, runBounded } from "./lib/stats";

const CONFIG = {
  users: 30,
  /** Requests of the load, recommendations and event batches mixed. */
  requests: 1500,
  eventBatchShare: 0.4,
  eventsPerBatch: 5,
  concurrency: 8,
  /** Share of KV and D1 calls that throw, for /v1 requests. */
  faults: { kv: 0.2, d1: 0.2 },
  /** redis-server is killed at these shares of the load and restarted at the next. */
  redisCrashes: [
    [0.15, 0.35],
    [0.55, 0.75],
  ],
  /** Most popular items withdrawn (available: false), and the next ones blocked in BLOCKED_REGION. */
  withdrawn: 3,
  regionBlocked: 3,
  maxLoadMs: 180_000,
  maxWarmupMs: 60_000,
  maxDrainMs: 150_000,
};
const BLOCKED_REGION = "de";
const REGIONS = [BLOCKED_REGION, "us", "fr"];

interface Counts {
  [key: string]: number;
}

async function main(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), "bench-chaos-"));
  const log = (line: string) => console.log(`[chaos] ${line}`);
  const stack = await startLocalStack({
    port: await freePort(),
    persistTo: join(stateDir, "wrangler"),
    redis: "required",
    persistentRedis: true,
    vars: { DEV_FAULTS: JSON.stringify(CONFIG.faults), TRUST_REGION_HEADER: "1" },
  });
  try {
    const { catalog, blocked } = await publishDemo(stack, join(stateDir, "index"), log);
    const result = await run(stack, catalog, blocked, log);
    const out = {
      bench: "chaos",
      note: "loopback, wrangler dev + redis-server + Upstash bridge on one machine shared with other agents (2 cores)",
      config: { ...CONFIG, blockedRegion: BLOCKED_REGION },
      ...result,
    };
    await mkdir(join(PROJECT_ROOT, "bench", "results"), { recursive: true });
    await writeFile(join(PROJECT_ROOT, "bench", "results", "chaos.json"), JSON.stringify(out, null, 2) + "\n");
    console.log(JSON.stringify(out, null, 2));
    const a = result.audit;
    if (a.status_5xx + a.events_lost + a.events_duplicated + a.blocked_items_served + a.network_errors > 0) {
      console.error("chaos audit FAILED");
      process.exitCode = 1;
    }
  } finally {
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** Builds the demo index (untuned, no heavy ranker: the bench is about failures, not quality), publishes it, withdraws and blocks popular items. */
async function publishDemo(stack: LocalStack, outDir: string, log: (line: string) => void) {
  const dataset = await readMovieLensLatest(join(PROJECT_ROOT, "data", "ml-latest-small"));
  const built = await buildIndex(dataset, outDir, { tune: false, ranker: false });
  await publishIndex(built.dir, { url: stack.url, adminKey: stack.adminKey });
  const catalog = JSON.parse(await readFile(join(built.dir, "catalog.json"), "utf8")) as CatalogItem[];
  const byId = new Map(catalog.map((i) => [i.itemId, i]));
  const top = built.manifest.fallbackItemIds.filter((id) => byId.has(id));
  const withdrawn = top.slice(0, CONFIG.withdrawn);
  const regionBlocked = top.slice(CONFIG.withdrawn, CONFIG.withdrawn + CONFIG.regionBlocked);
  const changed = [
    ...withdrawn.map((id) => ({ ...byId.get(id)!, available: false })),
    ...regionBlocked.map((id) => ({ ...byId.get(id)!, blockedRegions: [BLOCKED_REGION] })),
  ];
  const res = await fetch(`${stack.url}/admin/catalog/items`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${stack.adminKey}` },
    body: JSON.stringify({ items: changed }),
  });
  if (!res.ok) throw new Error(`catalog update failed: ${res.status} ${await res.text()}`);
  log(`index ${built.version} published; withdrawn ${withdrawn.join(",")}; blocked in ${BLOCKED_REGION} ${regionBlocked.join(",")}`);
  return {
    catalog: catalog.filter((i) => i.available && !withdrawn.includes(i.itemId)),
    blocked: { withdrawn: new Set(withdrawn), regionBlocked: new Set(regionBlocked) },
  };
}

async function run(stack: LocalStack, catalog: CatalogItem[], blocked: { withdrawn: Set<string>; regionBlocked: Set<string> }, log: (line: string) => void) {
  const auth = { Authorization: `Bearer ${stack.adminKey}` };
  const users = Array.from({ length: CONFIG.users }, (_, i) => `chaos-u${i}`);
  const items = catalog.slice(0, 400).map((i) => i.itemId);

  // Warm-up: until this isolate has served once, it holds no last good state to fall back on.
  const warmup = { requests: 0, status_5xx: 0 };
  const warmDeadline = Date.now() + CONFIG.maxWarmupMs;
  for (;;) {
    const res = await fetch(`${stack.url}/v1/recommendations?user_id=warmup&limit=10`, { headers: auth });
    await res.arrayBuffer();
    warmup.requests++;
    if (res.status >= 500) warmup.status_5xx++;
    if (res.ok || Date.now() > warmDeadline) break;
  }

  const statuses: Record<string, Counts> = { recommendations: {}, events: {} };
  const degraded: Counts = {};
  const errors: Counts = {};
  const latencies: Record<string, number[]> = { recommendations: [], events: [] };
  const accepted = new Set<string>();
  const servedBlocked: string[] = [];
  let retryLater = 0;
  let networkErrors = 0;
  let eventSeq = 0;
  const redisSteps: string[] = [];
  let redisWork: Promise<void> = Promise.resolve();
  const crashAt = new Map<number, "crash" | "restart">();
  for (const [down, up] of CONFIG.redisCrashes) {
    crashAt.set(Math.floor(down! * CONFIG.requests), "crash");
    crashAt.set(Math.floor(up! * CONFIG.requests), "restart");
  }
  const count = (m: Counts, k: string) => (m[k] = (m[k] ?? 0) + 1);

  const started = performance.now();
  const sent = await runBounded(CONFIG.requests, CONFIG.concurrency, Date.now() + CONFIG.maxLoadMs, async (i) => {
    const step = crashAt.get(i);
    if (step) {
      const at = round((performance.now() - started) / 1000, 1);
      redisWork = redisWork.then(() => (step === "crash" ? stack.redis!.server.crash() : stack.redis!.server.restart()));
      redisSteps.push(`${step} at request ${i} (${at} s)`);
    }
    const isEvents = (i * 7919) % 100 < CONFIG.eventBatchShare * 100;
    const route = isEvents ? "events" : "recommendations";
    const t0 = performance.now();
    try {
      if (isEvents) {
        const batch = Array.from({ length: CONFIG.eventsPerBatch }, (_, j) => {
          const n = eventSeq++;
          return {
            eventId: `chaos-e${n}`,
            userId: users[(i + (j % 2)) % users.length],
            itemId: items[(n * 37) % items.length],
            type: ["view", "click", "like", "add_to_cart"][n % 4],
            timestamp: Date.now() - 1000,
          };
        });
        const res = await fetch(`${stack.url}/v1/events`, {
          method: "POST",
          headers: { ...auth, "Content-Type": "application/json" },
          body: JSON.stringify({ events: batch }),
        });
        count(statuses.events!, String(res.status));
        const body = (await res.json()) as { accepted?: string[]; results?: { status: string }[]; error?: { code: string; message: string } };
        if (body.error) count(errors, `events ${res.status} ${body.error.code}: ${body.error.message}`);
        for (const id of body.accepted ?? []) accepted.add(id);
        retryLater += (body.results ?? []).filter((r) => r.status === "retry_later").length;
      } else {
        const user = users[i % users.length]!;
        const region = REGIONS[i % REGIONS.length]!;
        const surface = i % 5 === 0 ? `surface=related&item_id=${items[i % items.length]}` : "surface=home";
        const res = await fetch(`${stack.url}/v1/recommendations?user_id=${user}&${surface}&limit=20`, { headers: { ...auth, "X-Region": region } });
        count(statuses.recommendations!, String(res.status));
        if (res.ok) {
          const body = (await res.json()) as { items: { itemId: string }[]; degraded?: string[] };
          for (const code of body.degraded ?? []) count(degraded, code);
          for (const { itemId } of body.items) {
            if (blocked.withdrawn.has(itemId) || (region === BLOCKED_REGION && blocked.regionBlocked.has(itemId))) servedBlocked.push(`${itemId}@${region}`);
          }
        } else {
          const body = (await res.json()) as { error?: { code: string; message: string } };
          count(errors, `recommendations ${res.status} ${body.error?.code}: ${body.error?.message}`);
        }
      }
    } catch {
      networkErrors++;
    }
    latencies[route]!.push(performance.now() - t0);
  });
  const loadS = (performance.now() - started) / 1000;
  await redisWork;
  log(`load done: ${sent} requests in ${round(loadS, 1)} s; redis ${redisSteps.join(", ")}`);

  // Every accepted event must reach its Durable Object and the stream once: the audit waits for the outboxes (alarms) to drain.
  const events = await auditAcceptedEvents(stack, users, accepted, CONFIG.maxDrainMs);
  const fivexx = Object.values(statuses).reduce((sum, m) => sum + Object.entries(m).reduce((s, [k, v]) => s + (Number(k) >= 500 ? v : 0), 0), 0);
  const summary = (xs: number[]) => ({ n: xs.length, p50_ms: round(quantile(xs, 0.5)), p99_ms: round(quantile(xs, 0.99)) });
  return {
    load: { requests: sent, seconds: round(loadS, 1), redis: redisSteps, warmup },
    statuses,
    errors,
    latency: { recommendations: summary(latencies.recommendations!), events: summary(latencies.events!) },
    faults_seen: { degraded_codes: degraded, events_retry_later: retryLater },
    audit: {
      status_5xx: fivexx,
      network_errors: networkErrors,
      events_accepted: accepted.size,
      events_lost: events.lost,
      events_duplicated: events.duplicates,
      outbox_pending_at_end: events.outbox_pending,
      drain_s: events.drain_s,
      blocked_items_served: servedBlocked.length,
      blocked_examples: servedBlocked.slice(0, 10),
    },
  };
}

await main();
