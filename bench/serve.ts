/**
 * `npm run bench:serve [-- --items 1000000]`: the serving funnel under
 * bounded loopback load. For the demo index and a synthetic index of
 * `--items` items (bench/serve/synthetic-index.ts), each on a fresh
 * `wrangler dev` with redis-server: publish, restart the Worker and time the
 * first response of the cold isolate, give a set of users histories, then
 * drive every (user, surface) request once (cache misses) and again (cache
 * hits) at fixed concurrency, and GET /health the same way as the floor.
 * Client latency, server latency (Server-Timing `total`) and per-stage
 * times; KV reads per request (Server-Timing `kv-reads`); workerd's process
 * CPU per request (/proc, over each phase) against /health/live's in the
 * same run; then, on a fresh isolate with the devtools inspector on, the
 * isolate's heap after `--heap-misses` misses for as many distinct users.
 * Writes bench/results/<--out>.{json,md} (default serve); exits non-zero when a target
 * is missed (miss server p95 <= 10 ms, hit p95 <= 2 ms, >= 300 req/s, 0 errors).
 * The machine's load average is recorded at each step: latencies and rates
 * measured on a shared machine are inflated by it; sizes, reads and heap are not.
 * Past 2M items the build needs more than Node's default heap: the bench then
 * runs itself again with a larger one.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { loadavg, tmpdir } from "node:os";
import { getHeapStatistics } from "node:v8";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildIndex } from "../index-builder/src/build/build-index";
import { readMovieLensLatest } from "../index-builder/src/data/movielens";
import { freePort } from "../index-builder/src/local/free-port";
import { type LocalStack, startLocalStack } from "../index-builder/src/local/local-stack";
import { PROJECT_ROOT } from "../index-builder/src/local/wrangler";
import { publishIndex } from "../index-builder/src/publish/publish-index";
import { describe, drive } from "./lib/http-load";
import { round } from "./lib/stats";
import { buildSyntheticIndex, type SyntheticIndex } from "./serve/synthetic-index";
import { type HeapUsage, isolateHeap } from "./lib/isolate-heap";
import { cpuMs, workerdPids } from "./lib/workerd-cpu";

const { values } = parseArgs({
  options: {
    items: { type: "string", default: "1000000" },
    users: { type: "string", default: "150" },
    "warm-users": { type: "string", default: "100" },
    "serial-requests": { type: "string", default: "150" },
    concurrency: { type: "string", default: "8" },
    "heap-misses": { type: "string", default: "1000" },
    "skip-demo": { type: "boolean", default: false },
    out: { type: "string", default: "serve" },
    /** Keep the synthetic index in this folder and reuse it when it is there already (iterating on the Worker without rebuilding). */
    "index-dir": { type: "string" },
  },
});
const BIG_HEAP_MIB = 16_384;
if (Number(values.items) > 2_000_000 && getHeapStatistics().heap_size_limit < (BIG_HEAP_MIB / 2) * 2 ** 20) {
  // A 10M build holds 10M id strings besides its typed arrays: more than Node's default heap.
  const child = spawnSync(process.execPath, [...process.execArgv, `--max-old-space-size=${BIG_HEAP_MIB}`, ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}
const OUT = values.out;
const USERS = Number(values.users);
const WARM_USERS = Number(values["warm-users"]);
const SERIAL_REQUESTS = Number(values["serial-requests"]);
const CONCURRENCY = Number(values.concurrency);
const HEAP_MISSES = Number(values["heap-misses"]);
const PHASE_MAX_MS = 120_000;
const log = (line: string) => console.log(`[bench:serve] ${line}`);

/** One phase: client and server latency, errors, and the rate. */
type PhaseSummary = ReturnType<typeof describe> & { rps: number; /** workerd process CPU over the phase, per request. */ cpu_ms_per_request: number };

interface Run {
  catalog_items: number;
  /** The machine's 1-minute load average (2 cores, shared) when each step began. */
  load_avg_1m: Record<string, number>;
  index_build_s: number;
  /** The index was kept from an earlier run (--index-dir): build figures are not measured. */
  index_reused: boolean;
  /** CPU the build used (this process and its worker threads): on a shared machine, what the build costs apart from waiting for a core. */
  index_build_cpu_s: number;
  /** Peak resident memory of this process once the index was built (the build runs in it; KiB from getrusage, in MiB). */
  build_peak_rss_mib: number;
  /** Of a synthetic build: each step's seconds since the build began, resident memory then and the peak so far (synthetic-index.ts). */
  build_steps?: SyntheticIndex["steps"];
  publish_s: number;
  cold_first_response_ms: number;
  /** The cold response's Server-Timing header: which waits the first request had (CPU does not show: see the README on workerd's clock). */
  cold_server_timing: string;
  miss: PhaseSummary;
  hit: PhaseSummary;
  /** One request at a time on the warm isolate: the server's own time, without queueing behind others. */
  miss_serial: PhaseSummary;
  hit_serial: PhaseSummary;
  /** /health (reads KV, D1 and Redis) and /health/live (no bindings: wrangler dev's own cost per request). */
  floor: PhaseSummary;
  floor_live: PhaseSummary;
  floor_live_serial: PhaseSummary;
  /** workerd CPU per miss minus /health/live's per request at the same concurrency: the funnel's own CPU. */
  cpu_per_miss_ms: { concurrent: number; one_at_a_time: number };
  /** The isolate after HEAP_MISSES misses for distinct users, on a fresh isolate with the inspector on (MiB). */
  heap: {
    misses: number;
    errors: number;
    before_gc: HeapMiB;
    after_gc: HeapMiB | null;
    /** What the Worker reported holding afterwards: cache entries and version heads in the one budget, the scan kernel's WASM memory (MiB). */
    held_mib: { cache: number; heads: number; kernel: number } | null;
  } | null;
}

type HeapMiB = Record<keyof HeapUsage, number>;

async function measure(
  name: string,
  build: (outDir: string) => Promise<{ dir: string; items: number; popularIds: string[]; steps?: SyntheticIndex["steps"]; reused?: boolean }>,
): Promise<Run> {
  const state = await mkdtemp(join(tmpdir(), `bench-serve-${name}-`));
  const stack = await startLocalStack({ port: await freePort(), persistTo: join(state, "wrangler"), redis: "required" });
  const load: Record<string, number> = {};
  const mark = (step: string) => (load[step] = round(loadavg()[0]!, 2));
  try {
    mark("build");
    let t = performance.now();
    const cpu0 = process.cpuUsage();
    const built = await build(join(state, "index"));
    const buildS = (performance.now() - t) / 1000;
    const buildCpu = process.cpuUsage(cpu0);
    const buildCpuS = (buildCpu.user + buildCpu.system) / 1e6;
    const peakRssMib = round(process.resourceUsage().maxRSS / 1024, 0);
    log(`${name}: built ${built.items} items in ${buildS.toFixed(1)} s (${buildCpuS.toFixed(1)} s of CPU), peak RSS ${peakRssMib} MiB`);
    mark("publish");
    t = performance.now();
    await publishIndex(built.dir, { url: stack.url, adminKey: stack.adminKey });
    const publishS = (performance.now() - t) / 1000;
    log(`${name}: published in ${publishS.toFixed(1)} s`);

    await stack.restartWorker();
    const pids = workerdPids(stack.dev.child.pid!);
    if (pids.length === 0) log(`${name}: no workerd process found: CPU per request reads 0`);
    const run = async (urls: string[], concurrency: number) => {
      const c0 = cpuMs(pids);
      const phase = await drive(urls, concurrency, PHASE_MAX_MS, serverAuth(stack));
      return { ...phase, cpuMs: cpuMs(pids) - c0 };
    };
    mark("cold");
    t = performance.now();
    const first = await fetch(`${stack.url}/v1/recommendations?user_id=cold-probe&limit=20`, { headers: serverAuth(stack) });
    await first.arrayBuffer();
    const coldMs = performance.now() - t;
    const coldTiming = first.headers.get("server-timing") ?? "";
    log(`${name}: cold isolate first response ${coldMs.toFixed(0)} ms (status ${first.status}; Server-Timing ${coldTiming})`);

    await seedUsers(stack, built.popularIds, "bench-u", USERS);
    await seedUsers(stack, built.popularIds, "warm-u", WARM_USERS);
    await seedUsers(stack, built.popularIds, "serial-u", Math.ceil(SERIAL_REQUESTS / 3));
    // Warm the isolate (index heads, ONNX Runtime, page caches) on other users' lists, unmeasured.
    await drive(requestMix(stack.url, built.popularIds, "warm-u", WARM_USERS), CONCURRENCY, PHASE_MAX_MS, serverAuth(stack));
    log(`${name}: warmed on ${WARM_USERS * 3} lists`);
    const urls = requestMix(stack.url, built.popularIds, "bench-u", USERS);
    mark("miss");
    const miss = await run(urls, CONCURRENCY);
    const hit = await run(urls, CONCURRENCY);
    const serialUrls = requestMix(stack.url, built.popularIds, "serial-u", Math.ceil(SERIAL_REQUESTS / 3)).slice(0, SERIAL_REQUESTS);
    mark("miss_serial");
    const missSerial = await run(serialUrls, 1);
    const hitSerial = await run(serialUrls, 1);
    const floor = await run(
      urls.map(() => `${stack.url}/health`),
      CONCURRENCY,
    );
    const floorLive = await run(
      urls.map(() => `${stack.url}/health/live`),
      CONCURRENCY,
    );
    const floorLiveSerial = await run(
      serialUrls.map(() => `${stack.url}/health/live`),
      1,
    );
    const perRequest = (phase: { samples: unknown[]; cpuMs: number }) => phase.cpuMs / Math.max(1, phase.samples.length);
    mark("heap");
    const heap = HEAP_MISSES > 0 ? await heapAfterMisses(stack, built.popularIds, name) : null;
    const missNotMiss = miss.samples.filter((s) => s.cache !== "miss").length;
    const hitNotHit = hit.samples.filter((s) => s.cache !== "hit").length;
    if (missNotMiss + hitNotHit > 0) log(`${name}: ${missNotMiss} first requests were not misses, ${hitNotHit} repeats were not hits`);
    return {
      catalog_items: built.items,
      load_avg_1m: load,
      index_build_s: round(buildS, 1),
      index_reused: built.reused ?? false,
      index_build_cpu_s: round(buildCpuS, 1),
      build_peak_rss_mib: peakRssMib,
      ...(built.steps ? { build_steps: built.steps } : {}),
      publish_s: round(publishS, 1),
      cold_first_response_ms: round(coldMs, 1),
      cold_server_timing: coldTiming,
      miss: summary(miss),
      hit: summary(hit),
      miss_serial: summary(missSerial),
      hit_serial: summary(hitSerial),
      floor: summary(floor),
      floor_live: summary(floorLive),
      floor_live_serial: summary(floorLiveSerial),
      cpu_per_miss_ms: {
        concurrent: round(perRequest(miss) - perRequest(floorLive)),
        one_at_a_time: round(perRequest(missSerial) - perRequest(floorLiveSerial)),
      },
      heap,
    };
  } finally {
    await stack.stop();
    await rm(state, { recursive: true, force: true });
  }
}

/** A phase's latencies and errors (describe) with its rate. */
/** The customer's server calling: the stack's secret key. */
function serverAuth(stack: LocalStack): Record<string, string> {
  return { Authorization: `Bearer ${stack.adminKey}` };
}

function summary(phase: Awaited<ReturnType<typeof drive>> & { cpuMs: number }): PhaseSummary {
  return { ...describe(phase.samples), rps: phase.rps, cpu_ms_per_request: round(phase.cpuMs / Math.max(1, phase.samples.length)) };
}

/**
 * A fresh isolate with the devtools inspector on (it slows subrequests, so
 * only the heap is read from this phase): HEAP_MISSES users with histories,
 * one cache miss each (surfaces in turn), then the isolate's heap.
 */
async function heapAfterMisses(stack: LocalStack, popularIds: string[], name: string): Promise<Run["heap"]> {
  await seedUsers(stack, popularIds, "heap-u", HEAP_MISSES);
  const inspectorPort = await freePort();
  await stack.restartWorker({ inspectorPort });
  const surfaces = ["home", "up_next", "related"];
  const urls = Array.from({ length: HEAP_MISSES }, (_, u) => {
    const surface = surfaces[u % 3]!;
    const context = surface === "home" ? "" : `&item_id=${popularIds[(u * 17) % popularIds.length]!}`;
    return `${stack.url}/v1/recommendations?user_id=heap-u${u}&surface=${surface}${context}&limit=20`;
  });
  const phase = await drive(urls, CONCURRENCY, 4 * PHASE_MAX_MS, serverAuth(stack));
  const errors = phase.samples.filter((s) => s.status !== 200).length;
  // What the Worker says it holds (worker/src/http/report-isolate-memory.ts), read on a repeat of the last list.
  const last = await fetch(urls[urls.length - 1]!, { headers: serverAuth(stack) });
  await last.arrayBuffer();
  const said = /isolate-memory;desc="cache=(\d+),heads=(\d+),kernel=(\d+)"/.exec(last.headers.get("server-timing") ?? "");
  const held = said
    ? { cache: round(Number(said[1]) / 2 ** 20, 1), heads: round(Number(said[2]) / 2 ** 20, 1), kernel: round(Number(said[3]) / 2 ** 20, 1) }
    : null;
  let heap: Awaited<ReturnType<typeof isolateHeap>>;
  try {
    heap = await isolateHeap(inspectorPort);
  } catch (err) {
    log(`${name}: heap not read: ${String(err)}`);
    return null;
  }
  const mib = (h: HeapUsage) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, round(Number(v) / 2 ** 20, 1)])) as HeapMiB;
  const after = heap.after_gc ? mib(heap.after_gc) : null;
  log(
    `${name}: heap after ${HEAP_MISSES} misses (${errors} errors): ${JSON.stringify(mib(heap.before_gc))} MiB, after GC ${JSON.stringify(after)} (${heap.target})`,
  );
  return { misses: HEAP_MISSES, errors, before_gc: mib(heap.before_gc), after_gc: after, held_mib: held };
}

/** Every user gets ten events on popular items, so home lists run the personal sources. */
async function seedUsers(stack: LocalStack, popularIds: string[], prefix: string, users: number): Promise<void> {
  for (let u = 0; u < users; u++) {
    const events = Array.from({ length: 10 }, (_, k) => ({
      eventId: `seed-${prefix}${u}-${k}`,
      userId: `${prefix}${u}`,
      itemId: popularIds[(u * 7 + k * 13) % popularIds.length]!,
      type: k % 3 === 0 ? "purchase" : "click",
      timestamp: Date.now() - 60_000,
    }));
    const res = await fetch(`${stack.url}/v1/events`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...serverAuth(stack) },
      body: JSON.stringify({ events }),
    });
    if (!res.ok) throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
  }
}

/** Per user: home, up next and related around a popular item: 3 distinct lists each. */
function requestMix(base: string, popularIds: string[], prefix: string, users: number): string[] {
  const urls: string[] = [];
  // Context items differ per prefix, so warming does not pre-load the measured users' contexts.
  const shift = [...prefix].reduce((h, ch) => h * 31 + ch.charCodeAt(0), 0) % popularIds.length;
  for (let u = 0; u < users; u++) {
    const context = popularIds[(u * 31 + shift) % popularIds.length]!;
    urls.push(`${base}/v1/recommendations?user_id=${prefix}${u}&surface=home&limit=20`);
    urls.push(`${base}/v1/recommendations?user_id=${prefix}${u}&surface=up_next&item_id=${context}&limit=20`);
    urls.push(`${base}/v1/recommendations?user_id=${prefix}${u}&surface=related&item_id=${context}&limit=20`);
  }
  return urls;
}

/** Server-side percentiles; the floors answer without Server-Timing. */
function serverTimes(s: PhaseSummary["server"]): string {
  return Number.isNaN(s.p50_ms) ? "–" : `${s.p50_ms} / ${s.p95_ms} / ${s.p99_ms}`;
}

function table(runs: Run[]): string {
  const lines = [
    `Serving benchmark: wrangler dev + redis-server on 127.0.0.1. The isolate is first warmed on ${WARM_USERS} other users' lists (unmeasured); then ${CONCURRENCY} concurrent clients, ${USERS} users x 3 surfaces (each list requested once = miss, then again = hit); then ${SERIAL_REQUESTS} more lists one request at a time; /health and /health/live at the same load as floors. Server times are Server-Timing \`total\`. /health/live touches no binding: its rate is this machine's ceiling in this run, and the ratio to it compares runs on a machine whose speed varies (it moved by half between runs of the same code).`,
    "",
    "| catalog | phase | client p50 / p95 / p99 ms | server p50 / p95 / p99 ms | req/s | req/s ÷ /health/live's | workerd CPU ms/req | KV reads/req mean / p95 | errors |",
    "| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of runs) {
    const phases = [
      ["miss", r.miss],
      ["hit", r.hit],
      ["miss, one at a time", r.miss_serial],
      ["hit, one at a time", r.hit_serial],
      ["floor (/health)", r.floor],
      ["floor (/health/live)", r.floor_live],
      ["floor (/health/live), one at a time", r.floor_live_serial],
    ] as const;
    for (const [phase, s] of phases) {
      const kv = s.kv_reads ? `${s.kv_reads.mean} / ${s.kv_reads.p95}` : "–";
      lines.push(
        `| ${r.catalog_items} | ${phase} | ${s.p50_ms} / ${s.p95_ms} / ${s.p99_ms} | ${serverTimes(s.server)} | ${s.rps} | ${round(s.rps / r.floor_live.rps, 3)} | ${s.cpu_ms_per_request} | ${kv} | ${s.errors} |`,
      );
    }
  }
  lines.push("", "Cache-miss server stages (p50 / p95 ms):", "");
  for (const r of runs) {
    lines.push(
      `- ${r.catalog_items} items: ` +
        Object.entries(r.miss.stages)
          .map(([st, s]) => `${st} ${s.p50_ms}/${s.p95_ms}`)
          .join(", "),
    );
    lines.push(
      `- ${r.catalog_items} items, one at a time: ` +
        Object.entries(r.miss_serial.stages)
          .map(([st, s]) => `${st} ${s.p50_ms}/${s.p95_ms}`)
          .join(", "),
    );
  }
  lines.push(
    "",
    ...runs.map(
      (r) =>
        `- ${r.catalog_items} items (load average at build/publish/miss/one-at-a-time/heap: ${["build", "publish", "miss", "miss_serial", "heap"].map((k) => r.load_avg_1m[k]).join("/")} on 2 cores): ${r.index_reused ? "index kept from an earlier run" : `index build ${r.index_build_s} s (peak RSS ${r.build_peak_rss_mib} MiB)`}, publish ${r.publish_s} s, cold isolate first response ${r.cold_first_response_ms} ms; ` +
        `workerd CPU per miss minus /health/live's ${r.cpu_per_miss_ms.concurrent} ms at ${CONCURRENCY} concurrent, ${r.cpu_per_miss_ms.one_at_a_time} ms one at a time; ` +
        (r.heap
          ? `isolate heap after ${r.heap.misses} misses for distinct users: used ${r.heap.before_gc.usedSize} of ${r.heap.before_gc.totalSize} MiB` +
            (r.heap.before_gc.backingStorageSize !== undefined ? `, array buffers ${r.heap.before_gc.backingStorageSize} MiB` : "") +
            (r.heap.after_gc
              ? `; after a full collection ${r.heap.after_gc.usedSize} MiB used` +
                (r.heap.after_gc.backingStorageSize !== undefined ? `, array buffers ${r.heap.after_gc.backingStorageSize} MiB` : "")
              : ", no forced GC") +
            (r.heap.held_mib
              ? ` (the Worker held ${r.heap.held_mib.cache} MiB of cache entries, ${r.heap.held_mib.heads} MiB of version heads, ${r.heap.held_mib.kernel} MiB of kernel memory)`
              : "") +
            (r.heap.errors > 0 ? ` (${r.heap.errors} errors)` : "") +
            "."
          : "heap not measured."),
    ),
    "",
  );
  for (const r of runs.filter((x) => x.build_steps)) {
    lines.push(`Build of ${r.catalog_items} items, step by step (seconds since the start, resident MiB then / peak so far):`, "");
    for (const st of r.build_steps!)
      lines.push(`- ${st.s} s, ${st.rss_mib} / ${st.peak_rss_mib} MiB: ${st.step.length > 160 ? `${st.step.slice(0, 157)}...` : st.step}`);
    lines.push("");
  }
  return lines.join("\n");
}

const KEPT_INDEX_FILE = "bench-serve-index.json";

/** A synthetic index an earlier run kept in `dir` (--index-dir), when it has as many items. */
async function readKeptIndex(dir: string, items: number): Promise<{ dir: string; items: number; popularIds: string[]; reused: boolean } | null> {
  try {
    const kept = JSON.parse(await readFile(join(dir, KEPT_INDEX_FILE), "utf8")) as { dir: string; items: number; popularIds: string[] };
    if (kept.items !== items) return null;
    log(`reusing the index kept in ${kept.dir}`);
    return { ...kept, reused: true };
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const runs: Run[] = [];
  if (!values["skip-demo"]) {
    runs.push(
      await measure("demo", async (out) => {
        const dataset = await readMovieLensLatest(join(PROJECT_ROOT, "data", "ml-latest-small"));
        const built = await buildIndex(dataset, out);
        const popular = built.manifest.fallbackItemIds;
        return { dir: built.dir, items: dataset.items.length, popularIds: popular };
      }),
    );
  }
  const n = Number(values.items);
  runs.push(
    await measure(`synthetic-${n}`, async (out) => {
      const kept = values["index-dir"];
      if (kept) {
        const reused = await readKeptIndex(kept, n);
        if (reused) return reused;
      }
      const built = await buildSyntheticIndex(n, kept ?? out, log);
      const result = { dir: built.dir, items: n, popularIds: built.popularIds };
      if (kept) await writeFile(join(kept, KEPT_INDEX_FILE), JSON.stringify(result));
      return { ...result, steps: built.steps };
    }),
  );
  const big = runs[runs.length - 1]!;
  const result = {
    catalog_items: big.catalog_items,
    miss: {
      p50_ms: big.miss.server.p50_ms,
      p95_ms: big.miss.server.p95_ms,
      p99_ms: big.miss.server.p99_ms,
      client: { p50_ms: big.miss.p50_ms, p95_ms: big.miss.p95_ms, p99_ms: big.miss.p99_ms },
    },
    hit: {
      p50_ms: big.hit.server.p50_ms,
      p95_ms: big.hit.server.p95_ms,
      p99_ms: big.hit.server.p99_ms,
      client: { p50_ms: big.hit.p50_ms, p95_ms: big.hit.p95_ms, p99_ms: big.hit.p99_ms },
    },
    rps: Math.min(big.miss.rps, big.hit.rps),
    errors: big.miss.errors + big.hit.errors,
    cold_first_response_ms: big.cold_first_response_ms,
    floor: { p50_ms: big.floor.p50_ms, p95_ms: big.floor.p95_ms, p99_ms: big.floor.p99_ms, rps: big.floor.rps },
    floor_live: { p50_ms: big.floor_live.p50_ms, p95_ms: big.floor_live.p95_ms, p99_ms: big.floor_live.p99_ms, rps: big.floor_live.rps },
    /** Rates as fractions of /health/live's in the same run: comparable across runs on a machine whose speed varies. */
    rps_vs_floor_live: { miss: round(big.miss.rps / big.floor_live.rps, 3), hit: round(big.hit.rps / big.floor_live.rps, 3) },
    serial: { miss: big.miss_serial.server, hit: big.hit_serial.server },
    kv_reads_per_miss: { concurrent: big.miss.kv_reads, one_at_a_time: big.miss_serial.kv_reads },
    cpu_per_miss_ms: big.cpu_per_miss_ms,
    heap_mib: big.heap,
    runs,
    measured_at: new Date().toISOString(),
  };
  await mkdir(join(PROJECT_ROOT, "bench", "results"), { recursive: true });
  await writeFile(join(PROJECT_ROOT, "bench", "results", `${OUT}.json`), JSON.stringify(result, null, 2) + "\n");
  await writeFile(join(PROJECT_ROOT, "bench", "results", `${OUT}.md`), table(runs));
  console.log(table(runs));
  const misses = [
    result.miss.p95_ms > 10 && `cache-miss server p95 ${result.miss.p95_ms} ms > 10 ms`,
    result.hit.p95_ms > 2 && `cache-hit server p95 ${result.hit.p95_ms} ms > 2 ms`,
    result.rps < 300 && `${result.rps} req/s < 300`,
    result.errors > 0 && `${result.errors} errors`,
  ].filter(Boolean);
  if (misses.length > 0) {
    console.error(`targets missed: ${misses.join("; ")}`);
    process.exitCode = 1;
  }
}

await main();
