import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";

/** The repository root (this file lives in index-builder/src/local). */
export const PROJECT_ROOT = resolve(import.meta.dirname, "../../..");

const WRANGLER_BIN = join(PROJECT_ROOT, "node_modules", ".bin", "wrangler");

/**
 * Environment that keeps wrangler off the network: no metrics, no error
 * reports, no fetch of Cloudflare's request metadata, and its config (where
 * the update check and login state live) inside the ignored `.wrangler/`.
 */
export function offlineWranglerEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    XDG_CONFIG_HOME: join(PROJECT_ROOT, ".wrangler", "config"),
  };
}

/** Runs a wrangler command to completion, offline; rejects with its output on failure. */
export function runWrangler(args: string[], options: { quiet?: boolean } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(WRANGLER_BIN, args, { cwd: PROJECT_ROOT, env: offlineWranglerEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (!options.quiet) process.stdout.write(chunk);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolvePromise(output) : reject(new Error(`wrangler ${args.join(" ")} exited ${code}:\n${output}`))));
  });
}

/** Applies the D1 migrations (drizzle-kit's SQL) to the local database. */
export function applyLocalMigrations(persistTo?: string): Promise<string> {
  const args = ["d1", "migrations", "apply", "DB", "--local"];
  if (persistTo) args.push("--persist-to", persistTo);
  return runWrangler(args, { quiet: true });
}

export interface DevServer {
  url: string;
  child: ChildProcess;
  /** Everything wrangler printed so far (for error messages). */
  output(): string;
  stop(): Promise<void>;
}

/** The environment variable that carries DevWorkerOptions to dev-worker.ts. */
export const DEV_WORKER_OPTIONS_ENV = "RECS_DEV_WORKER_OPTIONS";

/** What startWranglerDev hands dev-worker.ts (as JSON in DEV_WORKER_OPTIONS_ENV). */
export interface DevWorkerOptions {
  port: number;
  persistTo?: string;
  vars: Record<string, string>;
  /** Chrome devtools on 127.0.0.1 at this port; off unless asked for (see dev-worker.ts). */
  inspectorPort?: number;
}

/**
 * Starts wrangler's dev server on 127.0.0.1 (dev-worker.ts, in its own
 * process group) and resolves once `/health/live` answers. `vars` become Worker
 * bindings (vars and, locally, secrets).
 */
export async function startWranglerDev(options: {
  port: number;
  persistTo?: string;
  vars: Record<string, string>;
  inherit?: boolean;
  timeoutMs?: number;
  /** The devtools inspector on this port (bench:serve reads the isolate's heap through it). */
  inspectorPort?: number;
}): Promise<DevServer> {
  // DEV_INSPECTOR=1 attaches Chrome devtools (127.0.0.1:9229) for profiling, at the cost described in dev-worker.ts.
  const launch: DevWorkerOptions = {
    port: options.port,
    persistTo: options.persistTo,
    vars: options.vars,
    inspectorPort: options.inspectorPort ?? (process.env.DEV_INSPECTOR === "1" ? 9229 : undefined),
  };
  // Through the environment, not argv: the options hold secrets, and any local user can read a command line.
  // Node itself (tsx as a loader, not tsx's wrapper process) is the child: its parent is this process, which
  // dev-worker.ts watches, and a signal reaches it without the wrapper's relay.
  const child = spawn(process.execPath, ["--import", "tsx", join(PROJECT_ROOT, "index-builder", "src", "local", "dev-worker.ts")], {
    cwd: PROJECT_ROOT,
    env: { ...offlineWranglerEnv(), [DEV_WORKER_OPTIONS_ENV]: JSON.stringify(launch) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (options.inherit) process.stdout.write(chunk);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exited = false;
  const exitedPromise = new Promise<void>((r) => child.on("exit", () => ((exited = true), r())));

  const stop = async () => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      return;
    }
    const killTimer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }, 5000);
    await exitedPromise;
    clearTimeout(killTimer);
  };

  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  while (Date.now() < deadline) {
    if (exited) throw new Error(`wrangler dev exited before serving:\n${output}`);
    try {
      const res = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return { url, child, output: () => output, stop };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not answer /health within the time limit:\n${output}`);
}
