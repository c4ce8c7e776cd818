/**
 * `npm run bench:seed-histories [-- --repeats 3]`: seeding the demo's users'
 * histories (index-builder seed-histories, POST /admin/histories) into a
 * fresh local stack (wrangler dev + redis-server on 127.0.0.1). The demo
 * index is built untuned and published; then, `--repeats` times each:
 *
 * - a full seeding (`--all`: every user sent, digests written); the first
 *   one creates every user's session, the later ones replace histories,
 * - a re-seeding of the same data (digests read: nothing is sent),
 * - a re-seeding after 10 users' newest rows were dropped from the data
 *   (only those 10 are sent),
 *
 * with wall time and the workerd processes' CPU time for each (inside
 * workerd the clock does not advance while code computes, so CPU comes from
 * /proc over the whole run). GET /health/live, run in the same stack, is the
 * floor a request costs. Writes bench/results/seed-histories.{json,md};
 * exits non-zero when a re-seeding sends a user whose history did not change
 * or leaves out one whose history did.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildIndex } from "../index-builder/src/build/build-index";
import { type Dataset, readMovieLensLatest } from "../index-builder/src/data/movielens";
import { freePort } from "../index-builder/src/local/free-port";
import { startLocalStack } from "../index-builder/src/local/local-stack";
import { PROJECT_ROOT } from "../index-builder/src/local/wrangler";
import { publishIndex } from "../index-builder/src/publish/publish-index";
import { redisSeededDigests, type SeedReport, seedHistories } from "../index-builder/src/publish/seed-histories";
import { quantile, round, runBounded } from "./lib/stats";
import { workerdCpuMs } from "./lib/workerd-cpu";

const { values } = parseArgs({ options: { repeats: { type: "string", default: "4" } } });
const REPEATS = Number(values.repeats);
if (!Number.isInteger(REPEATS) || REPEATS < 2 || REPEATS > 10) throw new Error("--repeats must be an integer from 2 to 10");
const CHANGED_USERS = 10;
const FLOOR_REQUESTS = 2000;
const log = (line: string) => console.log(`[bench:seed-histories] ${line}`);

interface Run {
  kind: "first" | "full" | "unchanged" | "changed" | "restore";
  seconds: number;
  cpu_ms: number;
  users_sent: number;
  users_unchanged: number;
  items_sent: number;
  requests: number;
}

const state = await mkdtemp(join(tmpdir(), "bench-seed-"));
const stack = await startLocalStack({ port: await freePort(), persistTo: join(state, "wrangler"), redis: "required" });
try {
  const demo = await readMovieLensLatest(join(PROJECT_ROOT, "data", "ml-latest-small"));
  const built = await buildIndex(demo, join(state, "index"), { tune: { budgetSeconds: 0 } });
  await publishIndex(built.dir, { url: stack.url, adminKey: stack.adminKey });
  log(`published ${built.version}`);
  const digests = redisSeededDigests({ url: stack.redis!.url, token: stack.redis!.token });
  const pid = stack.dev.child.pid!;

  const measure = async (kind: Run["kind"], dataset: Dataset, all: boolean): Promise<Run> => {
    const cpu0 = workerdCpuMs(pid);
    const r: SeedReport = await seedHistories(dataset, built.dir, { url: stack.url, adminKey: stack.adminKey, digests, all });
    const run = {
      kind,
      seconds: round(r.seconds, 3),
      cpu_ms: round(workerdCpuMs(pid) - cpu0, 0),
      users_sent: r.users,
      users_unchanged: r.unchanged,
      items_sent: r.items,
      requests: r.requests,
    };
    log(JSON.stringify(run));
    return run;
  };

  const runs: Run[] = [];
  const problems: string[] = [];
  const users = [...new Set(demo.interactions.map((x) => x.userId))];
  for (let k = 0; k < REPEATS; k++) {
    runs.push(await measure(k === 0 ? "first" : "full", demo, true));
    const same = await measure("unchanged", demo, false);
    if (same.users_sent !== 0) problems.push(`repeat ${k}: an unchanged re-seeding sent ${same.users_sent} users`);
    runs.push(same);
    // Ten users lose their newest row (a different ten each repeat): only their digests change.
    const changed = new Set(users.slice(k * CHANGED_USERS, (k + 1) * CHANGED_USERS));
    const newest = new Map<string, number>();
    demo.interactions.forEach((x, i) => {
      if (changed.has(x.userId) && (newest.get(x.userId) === undefined || x.timestampMs >= demo.interactions[newest.get(x.userId)!]!.timestampMs))
        newest.set(x.userId, i);
    });
    const dropped = new Set(newest.values());
    const edited = { ...demo, interactions: demo.interactions.filter((_, i) => !dropped.has(i)) };
    const run = await measure("changed", edited, false);
    if (run.users_sent !== CHANGED_USERS) problems.push(`repeat ${k}: ${run.users_sent} users sent after ${CHANGED_USERS} changed`);
    runs.push(run);
    // Back to the demo's rows for the next repeat's full seeding and digests.
    runs.push(await measure("restore", demo, false));
  }

  const floorCpu0 = workerdCpuMs(pid);
  const floorStart = performance.now();
  await runBounded(FLOOR_REQUESTS, 4, Date.now() + 60_000, async () => {
    await (await fetch(`${stack.url}/health/live`)).arrayBuffer();
  });
  const floor = {
    requests: FLOOR_REQUESTS,
    cpu_ms_per_request: round((workerdCpuMs(pid) - floorCpu0) / FLOOR_REQUESTS, 3),
    seconds: round((performance.now() - floorStart) / 1000, 2),
  };

  const median = (kind: Run["kind"], f: (r: Run) => number) => quantile(runs.filter((r) => r.kind === kind).map(f), 0.5);
  const full = {
    seconds: median("full", (r) => r.seconds),
    users: median("full", (r) => r.users_sent),
    items: median("full", (r) => r.items_sent),
    requests: median("full", (r) => r.requests),
    cpu_ms: median("full", (r) => r.cpu_ms),
  };
  const first = runs.find((r) => r.kind === "first")!;
  const summary = {
    first: { seconds: first.seconds, cpu_ms: first.cpu_ms, users: first.users_sent, cpu_ms_per_user: round(first.cpu_ms / first.users_sent, 3) },
    full: {
      ...full,
      users_per_s: round(full.users / full.seconds, 0),
      cpu_ms_per_user: round(full.cpu_ms / full.users, 3),
      cpu_ms_per_1000_items: round((full.cpu_ms / full.items) * 1000, 2),
      cpu_ms_per_request: round(full.cpu_ms / full.requests, 1),
      cpu_per_request_vs_floor: round(full.cpu_ms / full.requests / floor.cpu_ms_per_request, 0),
    },
    unchanged: {
      seconds: median("unchanged", (r) => r.seconds),
      cpu_ms: median("unchanged", (r) => r.cpu_ms),
      users_sent: median("unchanged", (r) => r.users_sent),
    },
    changed: { seconds: median("changed", (r) => r.seconds), cpu_ms: median("changed", (r) => r.cpu_ms), users_sent: median("changed", (r) => r.users_sent) },
  };
  const result = {
    summary,
    unchanged_vs_full_seconds: round(summary.unchanged.seconds / summary.full.seconds, 3),
    floor,
    runs,
    problems,
    config: { repeats: REPEATS, changed_users: CHANGED_USERS, data: "data/ml-latest-small", index: built.version },
    machine: { cpus: cpus().length, load_1m: round(loadavg()[0]!, 2) },
    measured_at: new Date().toISOString(),
  };
  await mkdir(join(PROJECT_ROOT, "bench", "results"), { recursive: true });
  await writeFile(join(PROJECT_ROOT, "bench", "results", "seed-histories.json"), JSON.stringify(result, null, 2) + "\n");
  const md = table(result);
  await writeFile(join(PROJECT_ROOT, "bench", "results", "seed-histories.md"), md);
  console.log(md);
  if (problems.length > 0) {
    console.error(`budget broken:\n${problems.join("\n")}`);
    process.exitCode = 1;
  }
} finally {
  await stack.stop();
  await rm(state, { recursive: true, force: true });
}

function table(r: {
  summary: {
    first: Record<string, number>;
    full: Record<string, number>;
    unchanged: Record<string, number>;
    changed: Record<string, number>;
  };
  unchanged_vs_full_seconds: number;
  floor: { cpu_ms_per_request: number };
  config: { repeats: number };
}): string {
  const { first, full, unchanged, changed } = r.summary;
  return `# Seeding histories (npm run bench:seed-histories)

Demo data (ml-latest-small) into a fresh local stack (one wrangler dev, redis-server). The first seeding once; the
others are medians (${r.config.repeats - 1} full seedings again, ${r.config.repeats} of each re-seeding). CPU is the workerd
processes' (/proc), over the whole seeding.

| run | users sent | wall s | workerd CPU ms |
|---|---:|---:|---:|
| first (every session new) | ${first.users} | ${first.seconds} | ${first.cpu_ms} |
| full again (\`--all\`: histories replaced) | ${full.users} | ${full.seconds} | ${full.cpu_ms} |
| same data again (digests match) | ${unchanged.users_sent} | ${unchanged.seconds} | ${unchanged.cpu_ms} |
| 10 users changed | ${changed.users_sent} | ${changed.seconds} | ${changed.cpu_ms} |

Full seeding again: ${full.items} items in ${full.requests} requests, ${full.users_per_s} users/s,
${full.cpu_ms_per_user} CPU ms per user, ${full.cpu_ms_per_1000_items} CPU ms per 1,000 items,
${full.cpu_ms_per_request} CPU ms per request (${full.cpu_per_request_vs_floor}× the floor, GET /health/live at ${r.floor.cpu_ms_per_request} ms).
A re-seeding of unchanged data takes ${r.unchanged_vs_full_seconds}× the full seeding's wall time.
`;
}
