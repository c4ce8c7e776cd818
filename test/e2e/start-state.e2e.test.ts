import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey, SECRET_KEY_PREFIX } from "../../shared/auth/secret-key";
import { readMovieLensLatest } from "../../index-builder/src/data/movielens";
import { freePort } from "../../index-builder/src/local/free-port";
import { PROJECT_ROOT } from "../../index-builder/src/local/wrangler";
import { readBuiltManifest } from "../../index-builder/src/publish/publish-index";
import { findRedisServer, liveServerOn } from "../../index-builder/src/local/redis-server";
import { poll } from "../poll";

/** `npm start` as a user runs it, twice on one state directory: what the first run stored, the second finds. */
const SK = generateKey(SECRET_KEY_PREFIX);
const ERASED = "5";

interface Run {
  child: ChildProcess;
  output: () => string;
  url: string;
}

let dir: string;
let port: number;

function launch(more: string[] = [], state = join(dir, "state"), on = port, tuneSeconds = 0): { child: ChildProcess; output: () => string } {
  const args = ["index-builder/src/cli.ts", "start", "--port", String(on), "--state-dir", state, "--out", join(dir, "index"), ...more];
  // Untuned and without the heavy ranker: what is kept between runs does not depend on either, and each run is quicker.
  args.push("--tune-seconds", String(tuneSeconds), "--ranker", "off");
  // As `npm start` runs it (tsx's wrapper relays Ctrl-C to the command), leading a process group of its own as a
  // terminal's foreground job does: a Ctrl-C (`stop`) goes to the whole group.
  const child = spawn(join(PROJECT_ROOT, "node_modules", ".bin", "tsx"), args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, SECRET_KEY: SK },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr.on("data", (b: Buffer) => (output += b.toString()));
  return { child, output: () => output };
}

async function start(state?: string, more: string[] = []): Promise<Run> {
  const { child, output: read } = launch(more, state);
  let output = "";
  const deadline = Date.now() + 150_000;
  while (!(output = read()).includes("Edge recommender is serving on")) {
    if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${output.slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`npm start did not serve within 150 s:\n${output.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: read, url: `http://127.0.0.1:${port}` };
}

/**
 * Ctrl-C, as a user stops it: SIGINT to the terminal's process group. Everything it started ends, the process exits
 * 0, and it says only what is true: the build was done, and its redis-server was stopped by it, not by the Ctrl-C.
 */
async function stop(run: Run): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  const exited = once(run.child, "exit");
  const served = run.output().length;
  process.kill(-run.child.pid!, "SIGINT");
  const [code] = (await exited) as [number | null];
  const after = run.output().slice(served);
  expect(code, run.output().slice(-2000)).toBe(0);
  expect(after.trim()).toBe("[start] stopping wrangler dev, bridge and redis-server");
}

/** A run expected to end by itself: its exit code and everything it printed. */
async function exited(run: { child: ChildProcess; output: () => string }): Promise<{ code: number | null; output: string }> {
  const [code] = (await once(run.child, "exit")) as [number | null];
  return { code, output: run.output() };
}

const admin = (run: Run, path: string, init: RequestInit = {}) =>
  fetch(`${run.url}${path}`, { ...init, headers: { authorization: `Bearer ${SK}`, ...init.headers } });
/** Waits until nothing answers on `url` any more (at most 15 s): a killed run's workerd has gone. */
const servingStops = (url: string) =>
  poll(
    () =>
      fetch(`${url}/health/live`).then(
        () => "up",
        () => "down",
      ),
    (status) => status === "down",
    15_000,
  );
const historyOf = async (run: Run, userId: string) => ((await (await admin(run, `/admin/histories/${userId}`)).json()) as { items: unknown[] }).items;
const lineOf = (run: Run, text: string) =>
  run
    .output()
    .split("\n")
    .find((l) => l.includes(text)) ?? "";

describe.skipIf(findRedisServer() === null)("npm start keeps its local state between runs (--state-dir)", () => {
  const runs: Run[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "recs-start-"));
    port = await freePort();
  });
  afterAll(async () => {
    // After a failed assertion a run may still serve: Ctrl-C stops what it started (SIGKILL would orphan its Redis and workerd).
    for (const run of runs) {
      if (run.child.exitCode !== null || run.child.signalCode !== null) continue;
      const exited = once(run.child, "exit");
      run.child.kill("SIGINT");
      const timer = setTimeout(() => run.child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("remembers an erasure: the next run's index and seeding leave the user out, and the receipt says the index did", { timeout: 400_000 }, async () => {
    const demo = await readMovieLensLatest(join(PROJECT_ROOT, "data", "ml-latest-small"));
    const erasedRows = demo.interactions.filter((x) => x.userId === ERASED).length;
    expect(erasedRows).toBeGreaterThan(0);
    const users = new Set(demo.interactions.map((x) => x.userId)).size;

    const first = await start();
    runs.push(first);
    const redisDir = join(dir, "state", "redis");
    expect(await liveServerOn(redisDir)).toBeGreaterThan(0);
    const builtBy = async () => readBuiltManifest(join(dir, "index", (await readFile(join(dir, "index", "LATEST"), "utf8")).trim()));
    expect((await builtBy()).counts).toMatchObject({ users, interactions: demo.interactions.length });
    expect(lineOf(first, "rows of erased users from the base data")).toContain("left out 0 rows");
    expect(lineOf(first, "changed since the last seeding")).toContain(`${users} changed since the last seeding, 0 unchanged`);
    expect((await historyOf(first, ERASED)).length).toBeGreaterThan(0);
    // The secret the kept erasure list depends on is this user's alone.
    const secrets = join(dir, "state", "local-secrets.json");
    expect((await stat(secrets)).mode & 0o777).toBe(0o600);
    const { erasureKey } = JSON.parse(await readFile(secrets, "utf8")) as { erasureKey: string };
    expect(first.output()).toContain(`ERASURE_KEY='${erasureKey}'`);
    // The directory is tied to the data it served.
    expect(JSON.parse(await readFile(join(dir, "state", "dataset.json"), "utf8"))).toEqual({ source: join(PROJECT_ROOT, "data", "ml-latest-small") });

    const erased = await admin(first, `/v1/users/${ERASED}`, { method: "DELETE" });
    expect(erased.status).toBe(200);
    const { receipt } = (await erased.json()) as { receipt: { receiptId: string; stores: { store: string; removed?: Record<string, number> }[] } };
    // The user's tables only, not the platform's: workerd persisting to disk keeps the object's name in __miniflare_do_name.
    const tables = Object.keys(receipt.stores.find((s) => s.store === "session")?.removed ?? {});
    expect(tables).toContain("history");
    expect(tables.filter((t) => t.startsWith("__") || t.startsWith("_cf_"))).toEqual([]);
    await stop(first);
    // Redis went with the run, shut down cleanly (its pid file removed), and the directory's claim with it.
    await expect(stat(join(redisDir, "redis-server.pid"))).rejects.toThrow();
    await expect(stat(join(dir, "state", "npm-start.pid"))).rejects.toThrow();

    const second = await start();
    runs.push(second);
    expect(second.output()).toContain(`ERASURE_KEY='${erasureKey}'`);
    expect(lineOf(second, "rows of erased users from the base data")).toContain(`left out ${erasedRows} rows`);
    // The digests outlived the first run: nobody's history changed, and the erased user is not sent again.
    expect(lineOf(second, "changed since the last seeding")).toContain(`histories of ${users - 1} users`);
    expect(lineOf(second, "changed since the last seeding")).toContain(`0 changed since the last seeding, ${users - 1} unchanged`);
    expect(await historyOf(second, ERASED)).toEqual([]);
    expect((await historyOf(second, "1")).length).toBeGreaterThan(0);

    // The index the second run built and serves has neither the user nor their rows.
    const live = await builtBy();
    expect(live.counts).toMatchObject({ users: users - 1, interactions: demo.interactions.length - erasedRows });
    expect(live.erasureList).toMatchObject({ erasedUsers: 1 });
    const read = (await (await admin(second, `/admin/erasures/${receipt.receiptId}`)).json()) as { stores: { store: string; status: string }[] };
    expect(read.stores.find((s) => s.store === "index")).toMatchObject({ status: "done" });

    // Another npm start on this one's port is refused before it reads its data: the other stack's Worker would answer
    // the new one's readiness check, and the run would build for minutes, then publish to a stack it did not start.
    const elsewhere = join(dir, "elsewhere");
    const rival = await exited(launch([], elsewhere));
    expect(rival.code).toBe(1);
    expect(rival.output).toContain(`127.0.0.1:${port} is already in use (another npm start or wrangler dev?): stop what listens there, or pass --port N`);
    expect(rival.output).not.toContain("D1 migrations applied");
    await expect(stat(elsewhere)).rejects.toThrow();

    // A second npm start on the directory while this one serves, even on another port, is refused before it touches anything.
    const twin = await exited(launch([], join(dir, "state"), await freePort()));
    expect(twin.code).toBe(1);
    // (the pid is the command's own, under tsx's wrapper)
    expect(twin.output).toMatch(new RegExp(`another npm start \\(pid \\d+\\) uses ${join(dir, "state")}: stop it with Ctrl-C`));
    expect(twin.output).not.toContain("D1 migrations applied");
    await stop(second);

    // Another data file on the same directory is refused: its catalogue would meet this one's sessions and counters.
    await writeFile(join(dir, "other.csv"), "user,item,weight\nu1,i1,3\nu2,i1,1\n");
    const other = await exited(launch(["--interactions", join(dir, "other.csv")]));
    expect(other.code).toBe(1);
    expect(other.output).toContain(`holds the state of runs on ${join(PROJECT_ROOT, "data", "ml-latest-small")}`);
    expect(other.output).toContain(`this run serves ${join(dir, "other.csv")}`);

    // Without the key the kept list is tagged under, a new one would match nobody: the run refuses before it builds,
    // keeps no new key, stops Redis cleanly and gives the directory back.
    await rm(secrets);
    const third = await exited(launch());
    expect(third.code).toBe(1);
    expect(third.output).toContain(`the kept Redis (${redisDir}) was written under another erasure key than a new one (${secrets} is missing)`);
    expect(third.output).not.toContain("trained iALS");
    await expect(stat(secrets)).rejects.toThrow();
    await expect(stat(join(dir, "state", "npm-start.pid"))).rejects.toThrow();
    await expect(stat(join(redisDir, "redis-server.pid"))).rejects.toThrow();
  });

  it("stops at once on SIGTERM during the build, leaving nothing behind", { timeout: 200_000 }, async () => {
    const state = join(dir, "signalled");
    // A 30 CPU s tuning walk: the build is still running when the signal comes.
    const run = launch([], state, port, 30);
    runs.push({ ...run, url: `http://127.0.0.1:${port}` });
    await poll(
      async () => run.output(),
      (text) => text.includes("tuning on validation") || run.child.exitCode !== null,
      150_000,
    );
    const command = Number((await readFile(join(state, "npm-start.pid"), "utf8")).trim());
    const redisPid = await liveServerOn(join(state, "redis"));
    // To the command itself, as a supervisor or `kill` sends it (not the terminal's Ctrl-C, which tsx relays).
    process.kill(command, "SIGTERM");
    const { code, output } = await exited(run);
    expect(code, output.slice(-3000)).toBe(0);
    // Handled while the build ran, and the build ended with it: on the main thread, the walk went on for its 30 s
    // (the stack's stop advancing only between trials) and the command exited after "trained iALS".
    expect(output).toContain("stopping the build, wrangler dev, bridge and redis-server");
    expect(output).not.toContain("trained iALS");
    expect(output).not.toContain("wrote index");
    await expect(stat(join(state, "npm-start.pid"))).rejects.toThrow();
    expect(await liveServerOn(join(state, "redis"))).toBeNull();
    expect(() => process.kill(redisPid!, 0)).toThrow();
    await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
  });

  it(
    "serves your own log with examples of its own, stops workerd when killed outright, and its next run names what was left behind",
    { timeout: 400_000 },
    async () => {
      // A log in no MovieLens shape: string ids, play counts, no timestamps; two tastes, so lists have something to learn.
      const log = join(dir, "plays.csv");
      const lines = ["user,item,plays"];
      for (let u = 0; u < 40; u++) for (let j = 0; j < 12; j++) lines.push(`u-${u},sku_${(u % 2) * 30 + ((u * 7 + j * 5) % 30)},${1 + ((u + j) % 9)}`);
      await writeFile(log, lines.join("\n") + "\n");
      const state = join(dir, "killed");
      const run = await start(state, ["--interactions", log]);
      runs.push(run);
      // The banner names the log's users and items, not the demo's, and its curl examples work as printed.
      const banner = run.output();
      expect(banner).toContain("Playground, signed in as users u-0, u-1, u-2 of the data");
      const curls = banner
        .slice(banner.indexOf(`  curl ${run.url}/health/live`), banner.indexOf("Index version"))
        .replaceAll("\\\n", " ")
        .split("\n")
        .filter((l) => l.trim().startsWith("curl"));
      const answer = (path: string) => JSON.parse(execFileSync("sh", ["-c", `${curls.find((c) => c.includes(path))!.trim()} -s`]).toString());
      const list = answer("/v1/recommendations?user_id=u-0");
      expect(list.items.length).toBeGreaterThan(0);
      // Seeded: u-0's first list is already theirs, not the cold-start one.
      expect(list.sessionVersion).toBeGreaterThan(0);
      const example = answer("/v1/items/sku_");
      expect(example.itemId).toMatch(/^sku_\d+$/);
      expect(answer("/v1/events")).toMatchObject({ accepted: ["e1"] });
      const command = Number((await readFile(join(state, "npm-start.pid"), "utf8")).trim());
      const redis = await liveServerOn(join(state, "redis"));
      expect(redis).toBeGreaterThan(0);
      process.kill(command, "SIGKILL");
      // Nothing in the command ran: the dev worker sees its parent gone and stops workerd, freeing the port.
      await servingStops(run.url);
      // Redis cannot watch its parent: the next run on the directory takes over the dead run's claim, says so, and
      // names the Redis left behind.
      const next = await exited(launch(["--interactions", log], state));
      expect(next.code).toBe(1);
      expect(next.output).toContain(
        `[start] the last npm start on ${state} (pid ${command}) ended without stopping (pid ${command} is gone): its claim is taken over\n`,
      );
      expect(next.output).toContain(
        `a redis-server (pid ${redis}) still holds ${join(state, "redis")}, left by a run that did not stop it; stop it first (kill ${redis})`,
      );
      await expect(stat(join(state, "npm-start.pid"))).rejects.toThrow();
      // Killed outright too, as when the whole tree is: the next run serves on its data, and says so in one line.
      process.kill(redis!, "SIGKILL");
      await poll(
        async () => liveServerOn(join(state, "redis")),
        (pid) => pid === null,
        5000,
      );
      const again = await start(state, ["--interactions", log]);
      runs.push(again);
      expect(again.output().match(/ended without/g)).toHaveLength(1);
      expect(again.output()).toContain(
        `[start] the redis-server of ${join(state, "redis")} (pid ${redis}) ended without shutting down (killed?); a new one starts on its data`,
      );

      // The whole tree killed at once: one line tells of both the run and its redis-server.
      const command2 = Number((await readFile(join(state, "npm-start.pid"), "utf8")).trim());
      const redis2 = (await liveServerOn(join(state, "redis")))!;
      process.kill(command2, "SIGKILL");
      process.kill(redis2, "SIGKILL");
      await servingStops(run.url);
      const last = await start(state, ["--interactions", log]);
      runs.push(last);
      expect(last.output().match(/ended without/g)).toHaveLength(1);
      expect(last.output()).toContain(
        `[start] the last npm start on ${state} (pid ${command2}) ended without stopping (pid ${command2} is gone, and its redis-server (pid ${redis2}) went with it): its claim is taken over\n`,
      );
      await stop(last);
    },
  );
});
