import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { access, mkdir, mkdtemp, readFile, readlink, realpath, rm } from "node:fs/promises";
import { once } from "node:events";
import os from "node:os";
import path from "node:path";
import { freePort } from "./free-port";
import { RespClient } from "./resp";

/** Options for {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Port to listen on; a free one is picked when omitted. */
  port?: number;
  /**
   * Working directory; a temporary one (removed on stop) is created when omitted. A given one is kept, and
   * starting refuses while a redis-server started on it earlier still runs (its pid file, `redis-server.pid`,
   * names a live redis-server): two servers appending to one file would corrupt it.
   */
  dir?: string;
  /** How long to wait for the server to answer PING. */
  startTimeoutMs?: number;
  /**
   * Keep data across `restart()` in an append-only file (fsync on every
   * write), as a production Redis would; off by default for speed.
   */
  persistent?: boolean;
  /**
   * Told when the server ends on its own (it crashed, or something outside
   * killed it), with how it ended; never for `stop`, `halt`, `crash` or
   * `restart`. Whatever uses Redis fails from then on, so a caller says so.
   */
  onExit?: (how: string) => void;
  /** Told (one line) when a given `dir` holds the pid file of a redis-server that died without shutting down. */
  log?: (line: string) => void;
}

/** A running redis-server child process bound to loopback. */
export interface RedisServerHandle {
  host: "127.0.0.1";
  port: number;
  /** Terminates the server (SIGTERM, then SIGKILL after 5 s), waits for it to exit and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Terminates the server but keeps its directory, as an outage would; `restart()` brings it back. */
  halt(): Promise<void>;
  /** Kills the server outright (SIGKILL: no shutdown, no final save), as a crash would; `restart()` brings it back. */
  crash(): Promise<void>;
  /** Stops the server if it is running and starts it again on the same port and directory. */
  restart(): Promise<void>;
}

const HOST = "127.0.0.1";
const EXTRA_DIRS = ["/usr/bin", "/usr/local/bin", "/usr/sbin"];

/** Returns the path of a redis-server executable on PATH or in the usual system directories, or null. */
export function findRedisServer(): string | null {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, "redis-server");
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAll(): void {
  for (const c of liveChildren) c.kill("SIGKILL");
}

// An orphaned redis-server would keep its port and memory after a crashed or interrupted run.
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", killAll);
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.once(signal, () => {
        // Someone else handles the signal (npm start stops its stack, Redis with a clean shutdown): leave it to them;
        // the exit hook still kills what is left when the process ends.
        if (process.listenerCount(signal) > 0) return;
        killAll();
        // Keep the default "terminate" behaviour.
        process.kill(process.pid, signal);
      });
    }
  }
  liveChildren.add(child);
  child.once("exit", () => liveChildren.delete(child));
}

/**
 * Spawns redis-server on 127.0.0.1 without persistence and resolves once it answers PING.
 * The error on failure includes the tail of the server's output.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const bin = findRedisServer();
  if (!bin) throw new Error("redis-server not found on PATH or in /usr/bin, /usr/local/bin, /usr/sbin");
  const port = options.port ?? (await freePort(HOST));
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), "redis-local-")));
  if (!ownsDir) {
    const pid = await liveServerOn(dir);
    if (pid !== null) throw new Error(`a redis-server (pid ${pid}) still holds ${dir}, left by a run that did not stop it; stop it first (kill ${pid})`);
    const stale = await removeStalePidFile(dir);
    if (stale !== null) options.log?.(`the redis-server of ${dir} (pid ${stale}) ended without shutting down (killed?); a new one starts on its data`);
  }
  const timeoutMs = options.startTimeoutMs ?? 5000;
  const persistent = options.persistent ?? false;
  let child: ChildProcess | undefined;
  // Each stop below lets go of the child before it ends it, so only an exit nobody asked for reaches onExit.
  const watch = (started: ChildProcess): ChildProcess => {
    started.once("exit", (code, signal) => {
      if (child !== started) return;
      child = undefined;
      options.onExit?.(signal ? `was killed (${signal})` : `exited (code ${code})`);
    });
    return started;
  };
  child = watch(await launch(bin, port, dir, timeoutMs, persistent));

  const stop = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (current) await terminate(current);
    if (ownsDir) await rm(dir, { recursive: true, force: true });
  };
  const halt = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (current) await terminate(current);
  };
  const crash = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (current && current.exitCode === null && current.signalCode === null) {
      const exited = once(current, "exit");
      current.kill("SIGKILL");
      await exited;
    }
  };
  const restart = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (current) await terminate(current);
    child = watch(await launch(bin, port, dir, timeoutMs, persistent));
  };
  return { host: HOST, port, stop, halt, crash, restart };
}

async function launch(bin: string, port: number, dir: string, timeoutMs: number, persistent: boolean): Promise<ChildProcess> {
  await mkdir(dir, { recursive: true });
  const args = ["--port", String(port), "--bind", HOST, "--protected-mode", "yes"];
  args.push("--save", "", "--daemonize", "no", "--dir", dir, "--pidfile", path.join(dir, PID_FILE));
  args.push(...(persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]));
  // In a process group of its own: a Ctrl-C at the terminal goes to the terminal's group, and redis-server shut itself
  // down on it before the stack that started it could stop it (whose onExit then warned of an exit nobody asked for).
  // Only its owner stops it: stop(), or the exit hook below when the owner ends; one its owner never stopped (killed
  // outright) is named by the next start on its directory (liveServerOn).
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
  track(child);
  let output = "";
  const keep = (data: Buffer): void => {
    output = (output + data.toString("utf8")).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exited: string | undefined;
  child.once("exit", (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
  child.once("error", (err) => (exited = `failed to spawn: ${err.message}`));

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`redis-server on port ${port} ${exited}\n${output}`);
    if (child.pid !== undefined && (await answersAsChild(port, child.pid))) return child;
    if (Date.now() > deadline) {
      await terminate(child);
      throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const PID_FILE = "redis-server.pid";

/**
 * The pid of a live redis-server that holds `dir` (its pid file there names a process still running), else null.
 * Redis runs in its --dir, so where /proc tells a process's working directory, a pid reused by another process
 * (another Redis included) does not count; elsewhere a live pid is taken at its word.
 */
export async function liveServerOn(dir: string): Promise<number | null> {
  const pid = Number((await readFile(path.join(dir, PID_FILE), "utf8").catch(() => "")).trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let cwd: string;
  try {
    cwd = await readlink(`/proc/${pid}/cwd`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && (await hasProc())) return null; // gone (or ended meanwhile): the file is stale
    return isAlive(pid) ? pid : null; // no /proc, or not ours to read
  }
  return cwd === (await realpath(dir)) ? pid : null;
}

/**
 * Removes `dir`'s pid file when no live redis-server holds the directory (its server was killed: a clean shutdown
 * removes it) and answers the pid it named; null when there was none, or it names the live server.
 */
export async function removeStalePidFile(dir: string): Promise<number | null> {
  const file = path.join(dir, PID_FILE);
  const pid = Number((await readFile(file, "utf8").catch(() => "")).trim());
  if (!Number.isInteger(pid) || pid <= 0 || (await liveServerOn(dir)) !== null) return null;
  await rm(file, { force: true });
  return pid;
}

/** Whether a process with this pid exists (one owned by another user counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function hasProc(): Promise<boolean> {
  return access("/proc/self/cwd").then(
    () => true,
    () => false,
  );
}

// Checking the pid guards against a different server already listening on the port.
async function answersAsChild(port: number, pid: number): Promise<boolean> {
  let client: RespClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    client = await RespClient.connect(HOST, port, 500);
    // A foreign listener may accept and never answer; closing rejects the pending commands.
    const c = client;
    timer = setTimeout(() => void c.close(), 500);
    const [pong, info] = await Promise.all([client.send(["PING"]), client.send(["INFO", "server"])]);
    return pong === "PONG" && Buffer.isBuffer(info) && info.toString("utf8").includes(`process_id:${pid}\r\n`);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    await client?.close();
  }
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
