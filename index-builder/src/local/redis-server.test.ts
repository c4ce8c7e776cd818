import { mkdtemp, rm } from "node:fs/promises";
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
});
