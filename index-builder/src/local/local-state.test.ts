import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  checkErasureKey,
  checkStateDataset,
  claimStateDir,
  DEFAULT_STATE_DIR,
  ERASURE_KEY_CHECK_KEY,
  erasureKeyCheck,
  importedStateDir,
  localSecrets,
  recordStateDataset,
  secretsFileOf,
} from "./local-state";
import { PROJECT_ROOT } from "./wrangler";
import { findRedisServer, liveServerOn, startRedisServer } from "./redis-server";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "local-state-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("localSecrets", () => {
  it("makes a key in memory, writes it (mode 600) only when told, and reads the same key back", async () => {
    const lines: string[] = [];
    const state = join(dir, "state");
    const made = await localSecrets(state, (l) => lines.push(l));
    expect(made.created).toBe(true);
    expect(made.secrets.erasureKey.length).toBeGreaterThanOrEqual(32);
    await expect(stat(secretsFileOf(state))).rejects.toThrow();
    await mkdir(state, { recursive: true });
    await made.persist();
    expect((await stat(secretsFileOf(state))).mode & 0o777).toBe(0o600);
    const read = await localSecrets(state, (l) => lines.push(l));
    expect(read).toMatchObject({ secrets: made.secrets, created: false });
    expect(lines).toEqual([]);
    // No temporary file is left beside it.
    expect(await readdir(state)).toEqual(["local-secrets.json"]);
  });

  it("refuses a file it did not write, naming it, and leaves it as it was", async () => {
    const file = secretsFileOf(dir);
    for (const text of ["", "{", '{"erasureKey": "short"}', "[]", "null"]) {
      await writeFile(file, text);
      await expect(localSecrets(dir, () => {})).rejects.toThrow(`${file} is not a secrets file of npm start`);
      expect(await readFile(file, "utf8")).toBe(text);
    }
  });

  it("narrows a file others could read to mode 600, and says so", async () => {
    await (await localSecrets(dir, () => {})).persist();
    const { secrets } = await localSecrets(dir, () => {});
    await chmod(secretsFileOf(dir), 0o644);
    const lines: string[] = [];
    expect((await localSecrets(dir, (l) => lines.push(l))).secrets).toEqual(secrets);
    expect((await stat(secretsFileOf(dir))).mode & 0o777).toBe(0o600);
    expect(lines).toEqual([expect.stringContaining("was readable by others (mode 644): now 600") as string]);
  });
});

describe("checkErasureKey", () => {
  const store = () => {
    const values = new Map<string, string>();
    return { values, get: async (k: string) => values.get(k) ?? null, set: async (k: string, v: string) => values.set(k, v) };
  };
  it("records the first key's check value, passes the same key, and refuses another key whether new or read", async () => {
    const redis = store();
    await checkErasureKey(redis, dir, "a".repeat(40), true, 0);
    expect(redis.values.get(ERASURE_KEY_CHECK_KEY)).toBe(erasureKeyCheck("a".repeat(40)));
    expect(erasureKeyCheck("a".repeat(40))).not.toContain("a".repeat(40));
    await checkErasureKey(redis, dir, "a".repeat(40), false, 3);
    await expect(checkErasureKey(redis, dir, "b".repeat(40), true, 0)).rejects.toThrow(
      `the kept Redis (${join(dir, "redis")}) was written under another erasure key than a new one (${secretsFileOf(dir)} is missing): the users erased under it would come back`,
    );
    await expect(checkErasureKey(redis, dir, "b".repeat(40), false, 0)).rejects.toThrow(`another erasure key than the one in ${secretsFileOf(dir)}`);
    expect(redis.values.get(ERASURE_KEY_CHECK_KEY)).toBe(erasureKeyCheck("a".repeat(40)));
  });

  it("refuses a new key over a list that names erased users but has no check value (kept before there was one)", async () => {
    const redis = store();
    await expect(checkErasureKey(redis, dir, "c".repeat(40), true, 2)).rejects.toThrow(
      /is missing, but the kept Redis .* lists 2 erased user\(s\) under the key it held/,
    );
    expect(redis.values.size).toBe(0);
    // A key read from the file is taken as the list's own.
    await checkErasureKey(redis, dir, "c".repeat(40), false, 2);
    expect(redis.values.get(ERASURE_KEY_CHECK_KEY)).toBe(erasureKeyCheck("c".repeat(40)));
  });
});

describe("claimStateDir", () => {
  it("holds the directory against a second claim while it lives, and frees it on release", async () => {
    const release = await claimStateDir(dir);
    await expect(claimStateDir(dir)).rejects.toThrow(`another npm start (pid ${process.pid}) uses ${dir}`);
    await release();
    const again = await claimStateDir(dir);
    await again();
  });

  it("takes over a claim a dead process left, and makes the directory ignore itself in git", async () => {
    // Pid 2^22 + 1 lies above Linux's pid limit: no process has it.
    await writeFile(join(dir, "npm-start.pid"), String(2 ** 22 + 1));
    const release = await claimStateDir(dir);
    expect(await readFile(join(dir, "npm-start.pid"), "utf8")).toBe(String(process.pid));
    expect(await readFile(join(dir, ".gitignore"), "utf8")).toContain("\n*\n");
    await release();
  });

  it("says in one line that it took over the claim of a run killed outright, and that its redis-server went with it", async () => {
    const dead = 2 ** 22 + 1;
    await writeFile(join(dir, "npm-start.pid"), String(dead));
    await mkdir(join(dir, "redis"));
    await writeFile(join(dir, "redis", "redis-server.pid"), String(dead + 1));
    const lines: string[] = [];
    const release = await claimStateDir(dir, (line) => lines.push(line));
    expect(lines).toEqual([
      `the last npm start on ${dir} (pid ${dead}) ended without stopping (pid ${dead} is gone, and its redis-server (pid ${dead + 1}) went with it): its claim is taken over`,
    ]);
    await expect(stat(join(dir, "redis", "redis-server.pid"))).rejects.toThrow();
    await release();
    // Released: the next run takes the directory without a word.
    lines.length = 0;
    await (
      await claimStateDir(dir, (line) => lines.push(line))
    )();
    expect(lines).toEqual([]);
  });

  it("lets only one of two claims at once take over a dead process's claim", async () => {
    for (let i = 0; i < 20; i++) {
      await writeFile(join(dir, "npm-start.pid"), String(2 ** 22 + 1));
      const claims = await Promise.allSettled([claimStateDir(dir), claimStateDir(dir)]);
      const won = claims.filter((c) => c.status === "fulfilled");
      expect(won).toHaveLength(1);
      expect(String((claims.find((c) => c.status === "rejected") as PromiseRejectedResult).reason)).toContain(`another npm start (pid ${process.pid})`);
      expect(await readFile(join(dir, "npm-start.pid"), "utf8")).toBe(String(process.pid));
      await (won[0] as PromiseFulfilledResult<() => Promise<void>>).value();
      expect((await readdir(dir)).filter((n) => n.startsWith("npm-start"))).toEqual([]);
    }
  });
});

describe.skipIf(findRedisServer() === null)("a kept Redis directory", () => {
  it("is refused to a second server while the first runs, and free once it stopped or died", async () => {
    const redisDir = join(dir, "redis");
    const first = await startRedisServer({ dir: redisDir, persistent: true });
    try {
      const pid = await liveServerOn(redisDir);
      expect(pid).toBeGreaterThan(0);
      await expect(startRedisServer({ dir: redisDir, persistent: true })).rejects.toThrow(`a redis-server (pid ${pid}) still holds ${redisDir}`);
      // A live process that is not the directory's server does not hold it (a pid reused after a crash).
      await writeFile(join(redisDir, "redis-server.pid"), String(process.pid));
      expect(await liveServerOn(redisDir)).toBeNull();
      await writeFile(join(redisDir, "redis-server.pid"), String(pid));
      // A crash leaves its pid file behind; a dead pid does not hold the directory.
      await first.crash();
      expect(await readFile(join(redisDir, "redis-server.pid"), "utf8")).toContain(String(pid));
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

describe("checkStateDataset", () => {
  it("passes an unrecorded directory and the recorded data, and refuses other data naming both and the remedies", async () => {
    await checkStateDataset(dir, "data/ml-latest-small");
    await recordStateDataset(dir, "data/ml-latest-small");
    await checkStateDataset(dir, resolve("data/ml-latest-small"));
    await expect(checkStateDataset(dir, "other/ratings.csv")).rejects.toThrow(
      `${dir} holds the state of runs on ${resolve("data/ml-latest-small")} (sessions, events, trending, erasures); this run serves ${resolve("other/ratings.csv")}. Give it a state of its own with --state-dir DIR, or delete ${dir} to start afresh`,
    );
    for (const text of ["{", "{}", "null"]) {
      await writeFile(join(dir, "dataset.json"), text);
      await expect(checkStateDataset(dir, "data/ml-latest-small")).rejects.toThrow("dataset.json is not npm start's record of its data");
    }
  });
});

describe("importedStateDir", () => {
  it("gives each imported file its own directory beside the demo's, named safely, by name and path", () => {
    expect(importedStateDir("/data/plays.csv")).toMatch(new RegExp(`^${join(PROJECT_ROOT, ".wrangler", "state-plays-")}[0-9a-f]{8}$`));
    expect(importedStateDir("/data/my log (v2).csv")).toMatch(/state-my_log__v2_-[0-9a-f]{8}$/);
    expect(importedStateDir("/a/ratings.csv")).not.toBe(importedStateDir("/b/ratings.csv"));
    expect(importedStateDir("/a/ratings.csv")).toBe(importedStateDir("/a/../a/ratings.csv"));
    expect(importedStateDir("/data/plays.csv")).not.toBe(DEFAULT_STATE_DIR);
  });
});
