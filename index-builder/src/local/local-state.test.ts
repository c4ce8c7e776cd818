import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { localSecrets, redisDirOf } from "./local-state";
import { findRedisServer, liveServerOn, startRedisServer } from "./redis-server";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "local-state-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("localSecrets", () => {
  it("makes the erasure key once, readable by this user only, and reads the same key back", async () => {
    const lines: string[] = [];
    const made = await localSecrets(join(dir, "state"), (l) => lines.push(l));
    expect(made.erasureKey.length).toBeGreaterThanOrEqual(32);
    expect((await stat(join(dir, "state", "local-secrets.json"))).mode & 0o777).toBe(0o600);
    expect(await localSecrets(join(dir, "state"), (l) => lines.push(l))).toEqual(made);
    expect(lines).toEqual([]);
  });

  it("refuses a file it did not write, naming it, and leaves it as it was", async () => {
    const file = join(dir, "local-secrets.json");
    for (const text of ["{", '{"erasureKey": "short"}', "[]", "null"]) {
      await writeFile(file, text);
      await expect(localSecrets(dir, () => {})).rejects.toThrow(`${file} is not a secrets file of npm start`);
      expect(await readFile(file, "utf8")).toBe(text);
    }
  });

  it("says loudly when a new key is made beside kept Redis data", async () => {
    await mkdir(redisDirOf(dir), { recursive: true });
    const lines: string[] = [];
    await localSecrets(dir, (l) => lines.push(l));
    expect(lines).toEqual([expect.stringContaining("WARNING: ") as string]);
    expect(lines[0]).toContain("users erased before it are no longer recognised");
  });
});

describe.skipIf(findRedisServer() === null)("a kept Redis directory", () => {
  it("is refused to a second server while the first runs, and free once it stopped or died", async () => {
    const redisDir = join(dir, "redis");
    const first = await startRedisServer({ dir: redisDir, persistent: true });
    try {
      expect(await liveServerOn(redisDir)).toBeGreaterThan(0);
      await expect(startRedisServer({ dir: redisDir, persistent: true })).rejects.toThrow(
        /a redis-server \(pid \d+\) still runs on .*redis, from an earlier start/,
      );
      // A crash leaves its pid file behind; a dead pid does not hold the directory.
      await first.crash();
      expect(await liveServerOn(redisDir)).toBeNull();
      const second = await startRedisServer({ dir: redisDir, persistent: true });
      await second.stop();
      // A kept directory outlives its server.
      expect((await stat(redisDir)).isDirectory()).toBe(true);
    } finally {
      await first.stop();
    }
  });
});
