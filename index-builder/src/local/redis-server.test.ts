import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { poll } from "../../../test/poll";
import { findRedisServer, liveServerOn, type RedisServerHandle, startRedisServer } from "./redis-server";

describe.skipIf(findRedisServer() === null)("redis-server's onExit", () => {
  let dir: string;
  let server: RedisServerHandle | undefined;
  afterEach(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("tells of an exit nobody asked for, and of none that stop, halt, crash or restart make", async () => {
    dir = await mkdtemp(join(tmpdir(), "redis-exit-"));
    const exits: string[] = [];
    server = await startRedisServer({ dir, onExit: (how) => exits.push(how) });
    await server.restart();
    await server.halt();
    await server.restart();
    await server.crash();
    await server.restart();
    expect(exits).toEqual([]);
    // Killed from outside, as an OOM killer or a stray `kill` would.
    process.kill((await liveServerOn(dir))!, "SIGKILL");
    expect(
      await poll(
        async () => exits.length,
        (n) => n > 0,
        5000,
      ),
    ).toBe(1);
    expect(exits).toEqual(["was killed (SIGKILL)"]);
    await server.restart();
    await server.stop();
    expect(exits).toHaveLength(1);
  });

  it("runs in a process group of its own, so a Ctrl-C at the terminal reaches only the stack that stops it", async () => {
    dir = await mkdtemp(join(tmpdir(), "redis-group-"));
    const exits: string[] = [];
    server = await startRedisServer({ dir, onExit: (how) => exits.push(how) });
    const pid = (await liveServerOn(dir))!;
    const groupOf = async (p: number) => Number((await readFile(`/proc/${p}/stat`, "utf8")).split(") ")[1]!.split(" ")[2]);
    expect(await groupOf(pid)).toBe(pid);
    expect(await groupOf(pid)).not.toBe(await groupOf(process.pid));
    // SIGINT to this process's group (as the terminal sends it) would not reach it; stop() still ends it, and says nothing.
    await server.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(exits).toEqual([]);
  });

  it("says in one line that its directory's last server was killed, and starts on its data", async () => {
    dir = await mkdtemp(join(tmpdir(), "redis-stale-"));
    // A pid file naming no live server, as a redis-server killed outright leaves it (2^22 + 1: above Linux's pid limit).
    await writeFile(join(dir, "redis-server.pid"), String(2 ** 22 + 1));
    const lines: string[] = [];
    server = await startRedisServer({ dir, log: (line) => lines.push(line) });
    expect(lines).toEqual([`the redis-server of ${dir} (pid ${2 ** 22 + 1}) ended without shutting down (killed?); a new one starts on its data`]);
    await server.stop();
    // Shut down cleanly: no pid file, and the next start says nothing.
    lines.length = 0;
    server = await startRedisServer({ dir, log: (line) => lines.push(line) });
    expect(lines).toEqual([]);
  });
});
