/**
 * The local dev server, as its own process: wrangler's dev server (the same
 * one `wrangler dev` runs: proxy worker, Miniflare, workerd) started through
 * wrangler's `unstable_startWorker`, because the command line cannot turn off
 * the devtools inspector. With the inspector on, every subrequest the Worker
 * makes (each Redis call over HTTP) is reported as four devtools events, each
 * forwarded to wrangler's Node process as an HTTP request: on this 2-core
 * machine that cost more CPU than the Redis calls themselves (/health at
 * 8 concurrent: 110 req/s with it, 243 without). `DEV_INSPECTOR=1 npm start`
 * turns it on, to profile the Worker from Chrome devtools (127.0.0.1:9229).
 *
 * Run by `startWranglerDev` (wrangler.ts) with its options as JSON in the
 * environment (they hold secrets: a command line is visible to every user); prints `ready <url>` once serving, and stops workerd on SIGTERM
 * or SIGINT, or once the process that started it is gone.
 */
import { unstable_startWorker } from "wrangler";
import { DEV_WORKER_OPTIONS_ENV, type DevWorkerOptions } from "./wrangler";

async function main(): Promise<void> {
  const options = JSON.parse(process.env[DEV_WORKER_OPTIONS_ENV] ?? "{}") as DevWorkerOptions;
  delete process.env[DEV_WORKER_OPTIONS_ENV];
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    sendMetrics: false,
    bindings: Object.fromEntries(Object.entries(options.vars).map(([name, value]) => [name, { type: "plain_text" as const, value }])),
    dev: {
      remote: false,
      inspector: options.inspectorPort ? { hostname: "127.0.0.1", port: options.inspectorPort } : false,
      server: { hostname: "127.0.0.1", port: options.port },
      persist: options.persistTo,
      watch: false,
      liveReload: false,
      // Problems only: at "info" each request's log line is one more HTTP call to wrangler's Node process.
      logLevel: "warn",
    },
  });
  await worker.ready;
  console.log(`ready ${(await worker.url).href}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await worker.dispose();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
  // A parent killed outright (SIGKILL, a crash) cannot stop this process group: once the process that started it is
  // gone (this process is re-parented), workerd stops too instead of holding the port and the local state.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop();
  }, 1000).unref();
}

await main();
