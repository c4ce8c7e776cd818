/**
 * `npm run bench:schemas`: Valibot (what the Worker validates with) against
 * zod 4 through @hono/zod-openapi (the other library #15 allowed), on
 *
 * 1. bundle size: three Workers bundled by `wrangler deploy --dry-run
 *    --minify --outdir` and gzipped: a bare Hono app, the same with the
 *    Worker's Valibot validation (bench/schemas/arm-valibot.ts), and with
 *    the zod equivalents on @hono/zod-openapi serving its own document
 *    (arm-zod.ts). The deltas over the bare app are what each costs;
 * 2. parse cost in workerd: a Worker of its own (parse-worker.ts) validates
 *    one request's worth of input (a recommendations query, a batch of 20
 *    events, a profile: bench/schemas/inputs.ts) PARSES times per request;
 *    the workerd process's CPU (/proc) over ROUNDS such requests, less as
 *    many empty ones, per parse;
 * 3. the same parse cost in Node, for reference.
 *
 * Writes bench/results/schemas.{json,md}; exits non-zero when Valibot's
 * workerd CPU per request's validation passes BUDGET_MS.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { unstable_startWorker } from "wrangler";
import { offlineWranglerEnv, PROJECT_ROOT, runWrangler } from "../index-builder/src/local/wrangler";
import { round } from "./lib/stats";
import { workerdCpuMs } from "./lib/workerd-cpu";

const PARSES = 2_000;
const ROUNDS = 6;
const NODE_PARSES = 20_000;
/** Validation's share of a request's CPU must stay small: a request costs ~1.4 ms of workerd CPU here. */
const BUDGET_MS = 0.1;
const BENCH_DIR = join(PROJECT_ROOT, "bench", "schemas");
const log = (line: string) => console.log(`[bench:schemas] ${line}`);

/** Minified and gzipped bytes of one arm's Worker bundle. */
async function bundleBytes(entry: string): Promise<{ minified: number; gzip: number }> {
  const out = await mkdtemp(join(tmpdir(), "bench-schemas-"));
  try {
    await runWrangler(["deploy", join(BENCH_DIR, entry), "--config", join(BENCH_DIR, "wrangler.toml"), "--dry-run", "--minify", "--outdir", out], {
      quiet: true,
    });
    const files = (await readdir(out)).filter((f) => f.endsWith(".js"));
    const code = Buffer.concat(await Promise.all(files.map((f) => readFile(join(out, f)))));
    return { minified: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

async function workerdParseCpuMs(): Promise<{ valibot: number; zod: number }> {
  Object.assign(process.env, offlineWranglerEnv());
  const worker = await unstable_startWorker({
    config: join(BENCH_DIR, "wrangler.toml"),
    dev: { remote: false, inspector: false, server: { hostname: "127.0.0.1", port: 0 }, watch: false, liveReload: false, logLevel: "warn" },
  });
  try {
    await worker.ready;
    const url = (await worker.url).href;
    const get = async (path: string) => (await fetch(url + path)).text();
    const cpuOf = async (path: string, expected: string) => {
      const before = workerdCpuMs(process.pid);
      for (let r = 0; r < ROUNDS; r++) if ((await get(path)) !== expected) throw new Error(`/${path} answered unexpectedly`);
      return workerdCpuMs(process.pid) - before;
    };
    for (const lib of ["valibot", "zod"]) await get(`parse?lib=${lib}&n=${PARSES}`);
    const empty = await cpuOf("noop", "0");
    const valibot = await cpuOf(`parse?lib=valibot&n=${PARSES}`, String(PARSES));
    const zod = await cpuOf(`parse?lib=zod&n=${PARSES}`, String(PARSES));
    const again = await cpuOf(`parse?lib=valibot&n=${PARSES}`, String(PARSES));
    return { valibot: ((valibot + again) / 2 - empty) / (ROUNDS * PARSES), zod: (zod - empty) / (ROUNDS * PARSES) };
  } finally {
    await worker.dispose();
  }
}

/** Node CPU per parse of each arm, through the parse Worker's own handler. */
async function nodeParseCpuMs(): Promise<{ valibot: number; zod: number }> {
  const { default: handler } = await import("./schemas/parse-worker");
  const run = async (lib: string) => {
    await handler.fetch(new Request(`http://bench/parse?lib=${lib}&n=2000`));
    const before = process.cpuUsage();
    const text = await (await handler.fetch(new Request(`http://bench/parse?lib=${lib}&n=${NODE_PARSES}`))).text();
    if (text !== String(NODE_PARSES)) throw new Error(`${lib} failed to parse the inputs`);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000 / NODE_PARSES;
  };
  return { valibot: await run("valibot"), zod: await run("zod") };
}

async function main(): Promise<void> {
  const [hono, valibot, zod] = [await bundleBytes("arm-hono.ts"), await bundleBytes("arm-valibot.ts"), await bundleBytes("arm-zod.ts")];
  log(`gzip bytes: hono ${hono.gzip}, +valibot ${valibot.gzip - hono.gzip}, +zod-openapi ${zod.gzip - hono.gzip}`);
  const node = await nodeParseCpuMs();
  const workerd = await workerdParseCpuMs();
  const result = {
    bundle: { hono, valibot, zod, valibot_gzip_delta: valibot.gzip - hono.gzip, zod_gzip_delta: zod.gzip - hono.gzip },
    workerd_cpu_ms_per_request_validation: { valibot: round(workerd.valibot, 4), zod: round(workerd.zod, 4) },
    node_cpu_ms_per_request_validation: { valibot: round(node.valibot, 4), zod: round(node.zod, 4) },
    request: "one recommendations query + one batch of 20 events (envelope and each event) + one profile",
    parses: { workerd: `${ROUNDS} x ${PARSES}`, node: NODE_PARSES },
    budget_ms: BUDGET_MS,
    measured_at: new Date().toISOString(),
  };
  const kb = (n: number) => round(n / 1024, 1);
  const md = [
    "| measure | Valibot | zod 4 + @hono/zod-openapi |",
    "| --- | --- | --- |",
    `| gzip KiB over a bare Hono Worker (${kb(hono.gzip)} KiB) | ${kb(result.bundle.valibot_gzip_delta)} | ${kb(result.bundle.zod_gzip_delta)} |`,
    `| minified KiB over the bare Worker (${kb(hono.minified)} KiB) | ${kb(valibot.minified - hono.minified)} | ${kb(zod.minified - hono.minified)} |`,
    `| workerd CPU ms per request's validation | ${result.workerd_cpu_ms_per_request_validation.valibot} | ${result.workerd_cpu_ms_per_request_validation.zod} |`,
    `| Node CPU ms per request's validation | ${result.node_cpu_ms_per_request_validation.valibot} | ${result.node_cpu_ms_per_request_validation.zod} |`,
    "",
  ].join("\n");
  await mkdir(join(PROJECT_ROOT, "bench", "results"), { recursive: true });
  await writeFile(join(PROJECT_ROOT, "bench", "results", "schemas.json"), JSON.stringify(result, null, 2) + "\n");
  await writeFile(join(PROJECT_ROOT, "bench", "results", "schemas.md"), md);
  console.log(md);
  if (workerd.valibot > BUDGET_MS) {
    console.error(`budget broken: validating a request costs ${round(workerd.valibot, 3)} ms of workerd CPU (budget ${BUDGET_MS})`);
    process.exitCode = 1;
  }
}

await main();
