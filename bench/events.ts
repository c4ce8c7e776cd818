/**
 * `npm run bench:events`: bounded loopback load of event batches against
 * `wrangler dev` with a real redis-server, then an audit that every accepted
 * event sits in its user's Durable Object and in the Redis stream exactly
 * once. Run twice: undisturbed, and with redis-server stopped a third of the
 * way in and restarted at two thirds (the outboxes must drain). GET /health
 * under the same load is the floor. Writes bench/results/events.{json,md}.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../index-builder/src/local/free-port";
import { type LocalStack, startLocalStack } from "../index-builder/src/local/local-stack";
import { PROJECT_ROOT } from "../index-builder/src/local/wrangler";
import { auditAcceptedEvents } from "./lib/event-audit";
import { quantile, round, runBounded } from "./lib/stats";

const CONFIG = {
  users: 40,
  batches: 300,
  eventsPerBatch: 10,
  concurrency: 8,
  /** Share of batches sent a second time, as a client retrying after a timeout would. */
  retryShare: 0.05,
  maxLoadMs: 90_000,
  maxDrainMs: 120_000,
  floorRequests: 300,
};

interface RunResult {
  accepted: number;
  in_sessions: number;
  in_stream: number;
  duplicates: number;
  lost: number;
  events_per_s: number;
  p50_ms: number;
  p99_ms: number;
  batches: number;
  errors: number;
  queued_batches: number;
  drain_s: number;
}

async function main(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), "bench-events-"));
  const stack = await startLocalStack({ port: await freePort(), persistTo: join(stateDir, "wrangler"), redis: "required", persistentRedis: true });
  try {
    await seedCatalog(stack);
    const floor = await measureFloor(stack);
    console.log(`floor (GET /health): p50 ${floor.p50_ms} ms, p99 ${floor.p99_ms} ms`);
    const steady = await runLoad(stack, "steady", false);
    console.log(JSON.stringify(steady));
    const restart = await runLoad(stack, "restart", true);
    console.log(JSON.stringify(restart));
    const result = {
      ...steady,
      redis_restart: restart,
      floor,
      p50_ratio_to_floor: round(steady.p50_ms / floor.p50_ms),
      config: CONFIG,
      measured_at: new Date().toISOString(),
    };
    await mkdir(join(PROJECT_ROOT, "bench", "results"), { recursive: true });
    await writeFile(join(PROJECT_ROOT, "bench", "results", "events.json"), JSON.stringify(result, null, 2) + "\n");
    await writeFile(join(PROJECT_ROOT, "bench", "results", "events.md"), table(steady, restart, floor));
    console.log(table(steady, restart, floor));
    if (steady.lost + steady.duplicates + restart.lost + restart.duplicates > 0) {
      console.error("budget broken: events were lost or duplicated");
      process.exitCode = 1;
    }
  } finally {
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** Events must name catalog items: items "1".."500", the ids the batches use. */
async function seedCatalog(stack: LocalStack): Promise<void> {
  const items = Array.from({ length: 500 }, (_, i) => ({
    itemId: String(i + 1),
    title: `Item ${i + 1}`,
    categories: ["Bench"],
    year: 2000,
    tags: [],
    available: true,
  }));
  const res = await fetch(`${stack.url}/admin/catalog/items`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${stack.adminKey}` },
    body: JSON.stringify({ items }),
  });
  if (!res.ok) throw new Error(`catalog seed failed: ${res.status} ${await res.text()}`);
}

async function measureFloor(stack: LocalStack): Promise<{ p50_ms: number; p99_ms: number }> {
  const latencies: number[] = [];
  await runBounded(CONFIG.floorRequests, CONFIG.concurrency, Date.now() + 30_000, async () => {
    const start = performance.now();
    await (await fetch(`${stack.url}/health`, { headers: { Authorization: `Bearer ${stack.adminKey}` } })).arrayBuffer();
    latencies.push(performance.now() - start);
  });
  return { p50_ms: round(quantile(latencies, 0.5)), p99_ms: round(quantile(latencies, 0.99)) };
}

async function runLoad(stack: LocalStack, tag: string, withOutage: boolean): Promise<RunResult> {
  const userIds = Array.from({ length: CONFIG.users }, (_, i) => `bench-${tag}-u${i}`);
  const accepted = new Set<string>();
  const latencies: number[] = [];
  let errors = 0;
  let queued = 0;
  let seq = 0;
  const sent: unknown[][] = [];
  const outage = { stopAt: Math.floor(CONFIG.batches / 3), restartAt: Math.floor((2 * CONFIG.batches) / 3) };
  let outageStep: Promise<void> = Promise.resolve();

  const started = performance.now();
  await runBounded(CONFIG.batches, CONFIG.concurrency, Date.now() + CONFIG.maxLoadMs, async (i) => {
    if (withOutage && i === outage.stopAt) outageStep = stack.redis!.server.halt();
    if (withOutage && i === outage.restartAt) outageStep = outageStep.then(() => stack.redis!.server.restart());
    const retry = sent.length > 0 && (i * 7919) % 100 < CONFIG.retryShare * 100;
    const batch = retry ? sent[(i * 31) % sent.length]! : makeBatch(userIds, i, () => seq++);
    if (!retry) sent.push(batch);
    const start = performance.now();
    try {
      const res = await fetch(`${stack.url}/v1/events`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${stack.adminKey}` },
        body: JSON.stringify({ events: batch }),
      });
      const body = (await res.json()) as { accepted?: string[]; redis?: string };
      latencies.push(performance.now() - start);
      if (!res.ok) errors++;
      for (const id of body.accepted ?? []) accepted.add(id);
      if (body.redis === "queued") queued++;
    } catch {
      errors++;
    }
  });
  const loadS = (performance.now() - started) / 1000;
  await outageStep;

  const audit = await auditAcceptedEvents(stack, userIds, accepted, CONFIG.maxDrainMs);
  return {
    accepted: accepted.size,
    in_sessions: audit.in_sessions,
    in_stream: audit.in_stream,
    duplicates: audit.duplicates,
    lost: audit.lost,
    events_per_s: round(accepted.size / loadS, 1),
    p50_ms: round(quantile(latencies, 0.5)),
    p99_ms: round(quantile(latencies, 0.99)),
    batches: latencies.length,
    errors,
    queued_batches: queued,
    drain_s: audit.drain_s,
  };
}

/** A batch of events for two users, of mixed types. */
function makeBatch(userIds: string[], i: number, nextSeq: () => number): unknown[] {
  const types = ["view", "click", "like", "add_to_cart", "purchase", "share"];
  return Array.from({ length: CONFIG.eventsPerBatch }, (_, j) => {
    const n = nextSeq();
    return {
      eventId: `bev-${n}`,
      userId: userIds[(i * 2 + (j % 2)) % userIds.length],
      itemId: String(1 + ((n * 37) % 500)),
      type: types[n % types.length],
      timestamp: Date.now() - 1000,
    };
  });
}

function table(steady: RunResult, restart: RunResult, floor: { p50_ms: number; p99_ms: number }): string {
  const row = (name: string, r: RunResult) =>
    `| ${name} | ${r.accepted} | ${r.in_sessions} | ${r.in_stream} | ${r.duplicates} | ${r.lost} | ${r.events_per_s} | ${r.p50_ms} | ${r.p99_ms} | ${r.errors} | ${r.queued_batches} | ${r.drain_s} |`;
  return [
    `Events benchmark (${CONFIG.batches} batches x ${CONFIG.eventsPerBatch} events, ${CONFIG.users} users, concurrency ${CONFIG.concurrency}, ${CONFIG.retryShare * 100}% retried batches; wrangler dev + redis-server on 127.0.0.1)`,
    "",
    "| run | accepted | in sessions | in stream | duplicates | lost | events/s | p50 ms | p99 ms | errors | batches queued | drain s |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    row("steady", steady),
    row("redis stopped at 1/3, restarted at 2/3", restart),
    "",
    `Floor, GET /health at the same concurrency: p50 ${floor.p50_ms} ms, p99 ${floor.p99_ms} ms; steady p50 / floor p50 = ${round(steady.p50_ms / floor.p50_ms)}.`,
    "",
  ].join("\n");
}

await main();
