import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  checkStateDataset,
  claimStateDir,
  DEFAULT_STATE_DIR,
  importedStateDir,
  localSecrets,
  refuseNewKeyOverKeptErasures,
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
  it("makes the erasure key once, readable by this user only, and reads the same key back", async () => {
    const lines: string[] = [];
    const made = await localSecrets(join(dir, "state"), (l) => lines.push(l));
    expect(made.created).toBe(true);
    expect(made.secrets.erasureKey.length).toBeGreaterThanOrEqual(32);
    expect((await stat(secretsFileOf(join(dir, "state")))).mode & 0o777).toBe(0o600);
    expect(await localSecrets(join(dir, "state"), (l) => lines.push(l))).toEqual({ secrets: made.secrets, created: false });
    expect(lines).toEqual([]);
    // No temporary file is left beside it.
    expect(await readdir(join(dir, "state"))).toEqual(["local-secrets.json"]);
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
    const { secrets } = await localSecrets(dir, () => {});
    await chmod(secretsFileOf(dir), 0o644);
    const lines: string[] = [];
    expect((await localSecrets(dir, (l) => lines.push(l))).secrets).toEqual(secrets);
    expect((await stat(secretsFileOf(dir))).mode & 0o777).toBe(0o600);
    expect(lines).toEqual([expect.stringContaining("was readable by others (mode 644): now 600") as string]);
  });

  it("refuses a key made this run over a kept erasure list, and takes the file back so the next run refuses too", async () => {
    const { created } = await localSecrets(dir, () => {});
    await expect(refuseNewKeyOverKeptErasures(dir, created, 2)).rejects.toThrow(/was missing, but the kept Redis .* lists 2 erased user\(s\)/);
    await expect(stat(secretsFileOf(dir))).rejects.toThrow();
    // A kept key, or a list with nobody on it, passes.
    const again = await localSecrets(dir, () => {});
    await refuseNewKeyOverKeptErasures(dir, again.created, 0);
    await refuseNewKeyOverKeptErasures(dir, false, 2);
    expect((await localSecrets(dir, () => {})).secrets).toEqual(again.secrets);
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
  it("records the first run's data, passes runs on the same data, and refuses other data naming both and the remedies", async () => {
    await checkStateDataset(dir, "ml-latest-small");
    await checkStateDataset(dir, "ml-latest-small");
    await expect(checkStateDataset(dir, "plays")).rejects.toThrow(
      `${dir} holds the state of runs on "ml-latest-small" (sessions, events, trending, erasures); this run serves "plays". Give it a state of its own with --state-dir DIR, or delete ${dir} to start afresh`,
    );
    // The record is unchanged by the refusal.
    await checkStateDataset(dir, "ml-latest-small");
    await writeFile(join(dir, "dataset.json"), "{");
    await expect(checkStateDataset(dir, "ml-latest-small")).rejects.toThrow("dataset.json is not npm start's record of its data");
  });
});

describe("importedStateDir", () => {
  it("gives each imported dataset its own directory beside the demo's, named safely", () => {
    expect(importedStateDir("plays")).toBe(join(PROJECT_ROOT, ".wrangler", "state-plays"));
    expect(importedStateDir("../my log (v2)")).toBe(join(PROJECT_ROOT, ".wrangler", "state-.._my_log__v2_"));
    expect(importedStateDir("plays")).not.toBe(DEFAULT_STATE_DIR);
  });
});
