/**
 * `npm run bench:experiments`: synthetic users with known click
 * probabilities drive the real local stack (wrangler dev, D1, Durable
 * Objects, a real redis-server) over loopback HTTP, through an experiment
 * whose variant b truly lifts CTR by +10% in Brazil only. Each user is
 * shown lists before the experiment starts (the CUPED pre-period), then
 * during it; each shown item is clicked with the user's probability (times
 * 1.10 for b in Brazil), and the clicks are posted with their impression id,
 * so CTR (clicks per list) is known: 10·p for a user of probability p. The report
 * must recover the lift in Brazil, none in the US or Germany, and no SRM.
 * Users, regions and clicks are seeded per user, so the result does not
 * depend on request order. Writes bench/results/experiments.{json,md}.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SeededRandom } from "../shared/seeded-random";
import { type ExperimentReport, type ScopeResult } from "../shared/experiments/report";
import { reportMarkdown } from "../shared/experiments/report-markdown";
import { buildIndex } from "../index-builder/src/build/build-index";
import { readMovieLensLatest } from "../index-builder/src/data/movielens";
import { freePort } from "../index-builder/src/local/free-port";
import { type LocalStack, startLocalStack } from "../index-builder/src/local/local-stack";
import { PROJECT_ROOT } from "../index-builder/src/local/wrangler";
import { publishIndex } from "../index-builder/src/publish/publish-index";
import { quantile, round, runBounded } from "./lib/stats";

const CONFIG = {
  seed: 20261204,
  /** Users per region; Brazil carries the effect. */
  users: { br: 1200, us: 300, de: 300 } as Record<string, number>,
  preLists: 2,
  lists: 8,
  listSize: 10,
  /** Mean per-item click probability; each user's is this times a log-normal factor (σ 0.3, mean 1). */
  baseCtr: 0.1,
  trueLift: { br: 0.1, us: 0, de: 0 } as Record<string, number>,
  allocation: { default: { a: 50, b: 50 }, BR: { a: 40, b: 60 } },
  concurrency: 8,
  maxPreMs: 240_000,
  maxLoadMs: 480_000,
};

interface User {
  id: string;
  region: string;
  ctr: number;
  rng: SeededRandom;
}

interface Shown {
  impressionId: string;
  variant: string;
  items: { itemId: string }[];
}

async function main(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), "bench-experiments-"));
  const stack = await startLocalStack({
    port: await freePort(),
    persistTo: join(stateDir, "wrangler"),
    redis: "required",
    vars: { TRUST_REGION_HEADER: "1" },
  });
  const t0 = Date.now();
  try {
    const dataset = await readMovieLensLatest(join(PROJECT_ROOT, "data", "ml-latest-small"));
    const built = await buildIndex(dataset, join(stateDir, "index"), { ranker: false });
    await publishIndex(built.dir, { url: stack.url, adminKey: stack.adminKey });
    const users = makeUsers();
    const id = `bench-ctr-${Date.now()}`;
    const latencies: number[] = [];
    let requests = 0;
    let errors = 0;
    const session = async (u: User, lists: number, clickLift: (variant: string) => number, tag: string) => {
      const clicks: object[] = [];
      for (let k = 0; k < lists; k++) {
        const start = performance.now();
        const res = await fetch(`${stack.url}/v1/recommendations?user_id=${u.id}&limit=${CONFIG.listSize}`, {
          headers: { "X-Region": u.region, Authorization: `Bearer ${stack.adminKey}` },
          signal: AbortSignal.timeout(30_000),
        }).catch(() => null);
        latencies.push(performance.now() - start);
        requests++;
        if (res?.status !== 200) {
          errors++;
          await res?.arrayBuffer();
          continue;
        }
        const shown = (await res.json()) as Shown;
        const p = Math.min(0.9, u.ctr * clickLift(shown.variant));
        shown.items.forEach((item, j) => {
          if (u.rng.next() < p)
            clicks.push({
              eventId: `${u.id}-${tag}-${k}-${j}`,
              userId: u.id,
              itemId: item.itemId,
              type: "click",
              timestamp: Date.now(),
              impressionId: shown.impressionId,
            });
        });
      }
      if (clicks.length > 0) {
        const res = await fetch(`${stack.url}/v1/events`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${stack.adminKey}` },
          body: JSON.stringify({ events: clicks }),
          signal: AbortSignal.timeout(30_000),
        }).catch(() => null);
        if (res?.status !== 200) errors++;
        await res?.arrayBuffer();
      }
    };
    await runBounded(users.length, CONFIG.concurrency, Date.now() + CONFIG.maxPreMs, (i) => session(users[i]!, CONFIG.preLists, () => 1, "pre"));
    console.log(`pre-period: ${requests} lists in ${round((Date.now() - t0) / 1000, 1)} s`);

    await admin(stack, "POST", "/admin/experiments", {
      id,
      // A fixed salt: the same users land in the same variants on every run.
      salt: "bench-ctr",
      name: "bench: b lifts CTR +10% in Brazil only",
      control: "a",
      variants: { a: {}, b: { policy: { mmrLambda: 0.95 } } },
      allocation: CONFIG.allocation,
    });
    await admin(stack, "POST", `/admin/experiments/${id}/start`);
    const loadStart = Date.now();
    const started = await runBounded(users.length, CONFIG.concurrency, Date.now() + CONFIG.maxLoadMs, (i) => {
      const u = users[i]!;
      return session(u, CONFIG.lists, (variant) => (variant === "b" ? 1 + CONFIG.trueLift[u.region]! : 1), "exp");
    });
    const loadS = (Date.now() - loadStart) / 1000;
    // Exposures are batched for 25 ms and events delivered before POST /v1/events answers; a moment covers the last batch.
    await new Promise((r) => setTimeout(r, 500));
    const report = (await admin(stack, "GET", `/admin/experiments/${id}/report`)) as ExperimentReport;
    const result = summarize(report, { requests, errors, loadS, latencies, usersStarted: started, users: users.length });
    await mkdir(join(PROJECT_ROOT, "bench", "results"), { recursive: true });
    await writeFile(join(PROJECT_ROOT, "bench", "results", "experiments.json"), JSON.stringify(result, null, 2) + "\n");
    const md = `# bench:experiments\n\n${result.verdicts.map((v) => `- ${v}`).join("\n")}\n\n${reportMarkdown(report)}`;
    await writeFile(join(PROJECT_ROOT, "bench", "results", "experiments.md"), md);
    console.log(md);
    if (!result.passed) {
      console.error("budget broken: the report did not recover the known effects");
      process.exitCode = 1;
    }
  } finally {
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** Users of every region, interleaved so that every region is in flight at every moment; each with its own seeded generator. */
function makeUsers(): User[] {
  const users: User[] = [];
  const regions = Object.entries(CONFIG.users);
  const most = Math.max(...regions.map(([, n]) => n));
  for (let i = 0; i < most; i++) {
    for (const [r, [region, count]] of regions.entries()) {
      if (i >= count) continue;
      const rng = new SeededRandom(CONFIG.seed + i * 31 + r);
      users.push({ id: `bench-${region}-${i}`, region, ctr: CONFIG.baseCtr * Math.exp(0.3 * rng.gaussian() - 0.045), rng });
    }
  }
  return users;
}

async function admin(stack: LocalStack, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${stack.adminKey}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

function summarize(
  report: ExperimentReport,
  load: { requests: number; errors: number; loadS: number; latencies: number[]; usersStarted: number; users: number },
) {
  const scope = (s: ScopeResult) => {
    const b = s.variants.find((v) => v.variant === "b")!;
    const pick = (l: typeof b.lift) => (l ? { relative: round(l.relative, 4), ci: l.relativeCi.map((x) => round(x, 4)), p: round(l.pValue, 4) } : null);
    return {
      scope: s.scope,
      users: Object.fromEntries(s.variants.map((v) => [v.variant, v.users])),
      ctr: Object.fromEntries(s.variants.map((v) => [v.variant, round(v.ctr.value, 4)])),
      lift: pick(b.lift),
      lift_cuped: pick(b.liftCuped),
      cuped_se_ratio: b.ctrCuped ? round(b.ctrCuped.stdError / b.ctr.stdError, 3) : null,
      srm_p: round(s.srm.pValue, 4),
      srm: s.srm.mismatch,
    };
  };
  const regions = report.regions.map(scope);
  const covers = (ci: number[] | undefined, x: number) => ci !== undefined && ci[0]! <= x && x <= ci[1]!;
  // Recovered: every region's CI covers its true lift, and where the lift is real the CI excludes 0.
  const verdicts: string[] = [];
  let passed = !report.srmFlagged;
  verdicts.push(report.srmFlagged ? "SRM flagged: FAIL" : "no SRM in any scope: ok");
  for (const r of regions) {
    const truth = CONFIG.trueLift[r.scope] ?? 0;
    const ci = r.lift_cuped?.ci ?? r.lift?.ci;
    const ok = covers(ci, truth) && (truth === 0 || ci![0]! > 0);
    passed &&= ok;
    verdicts.push(
      `${r.scope}: true lift ${truth * 100}%, estimated ${round((r.lift_cuped ?? r.lift)!.relative * 100, 1)}% ` +
        `[${round(ci![0]! * 100, 1)}%, ${round(ci![1]! * 100, 1)}%] (CUPED; plain ${round(r.lift!.relative * 100, 1)}% [${round(r.lift!.ci[0]! * 100, 1)}%, ${round(r.lift!.ci[1]! * 100, 1)}%]): ${ok ? "ok" : "FAIL"}`,
    );
  }
  return {
    passed,
    verdicts,
    pooled: scope(report.pooled),
    regions,
    guardrails: report.guardrails,
    load: {
      users_in_experiment_phase: `${load.usersStarted} of ${load.users}${load.usersStarted < load.users ? " (the rest were cut by maxLoadMs)" : ""}`,
      requests: load.requests,
      errors: load.errors,
      experiment_phase_s: round(load.loadS, 1),
      client_p50_ms: round(quantile(load.latencies, 0.5), 1),
      client_p95_ms: round(quantile(load.latencies, 0.95), 1),
    },
    config: CONFIG,
    measured_at: new Date().toISOString(),
  };
}

await main();
