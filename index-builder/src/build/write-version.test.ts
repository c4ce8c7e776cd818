import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { describeRemovedStaging, pruneVersions, removeStaleStaging, VersionWriter } from "./write-version";

let dir: string;
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("pruneVersions", () => {
  it("keeps the newest versions and the one LATEST names, and touches nothing that is not a version", async () => {
    dir = await mkdtemp(join(tmpdir(), "versions-"));
    const versions = ["20261201T100000Z-aaaaaaaaaa", "20261202T100000Z-bbbbbbbbbb", "20261203T100000Z-cccccccccc", "20261204T100000Z-dddddddddd"];
    for (const v of versions) await mkdir(join(dir, v, "blobs"), { recursive: true });
    // LATEST may name an older version (a rebuild of equal content, or a pointer moved by hand): it stays.
    await writeFile(join(dir, "LATEST"), `${versions[0]}\n`);
    await mkdir(join(dir, ".staging-0123456789ab"));
    await mkdir(join(dir, "my-notes"));
    expect(await pruneVersions(dir, 2)).toEqual([versions[1]]);
    expect((await readdir(dir)).sort()).toEqual([".staging-0123456789ab", "LATEST", "my-notes", versions[0], versions[2], versions[3]].sort());
    expect(await pruneVersions(dir, 5)).toEqual([]);
  });

  it("is a no-op on a directory that does not exist", async () => {
    dir = join(tmpdir(), "no-such-versions-dir");
    expect(await pruneVersions(dir, 1)).toEqual([]);
  });
});

describe("removeStaleStaging", () => {
  /** A staging directory as an interrupted build leaves it: some blobs, and the writer's pid unless `owner` is null. */
  async function staging(name: string, owner: number | null, blobBytes: number): Promise<string> {
    const path = join(dir, name);
    await mkdir(join(path, "blobs"), { recursive: true });
    await writeFile(join(path, "blobs", "ann"), new Uint8Array(blobBytes));
    if (owner !== null) await writeFile(join(path, "writer.pid"), String(owner));
    return path;
  }

  it("removes what interrupted builds left, says what and how much, and keeps what a live process writes", async () => {
    dir = await mkdtemp(join(tmpdir(), "staging-"));
    // Pid 2^22 + 1 lies above Linux's pid limit: no process has it (a build killed with its npm start).
    const dead = 2 ** 22 + 1;
    await staging(".staging-aaaaaaaaaaaa", dead, 3_400_000);
    await staging(".staging-bbbbbbbbbbbb", process.pid, 10);
    // Left before stagings named their writer: taken as abandoned once ten minutes untouched.
    const old = await staging(".staging-cccccccccccc", null, 1000);
    const hourAgo = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
    for (const d of [old, join(old, "blobs")]) await utimes(d, hourAgo, hourAgo);
    await staging(".staging-dddddddddddd", null, 10);
    await mkdir(join(dir, "20261201T100000Z-aaaaaaaaaa"));

    const removed = await removeStaleStaging(dir);
    expect(removed).toEqual([
      { name: ".staging-aaaaaaaaaaaa", bytes: 3_400_000 + String(dead).length, why: `its writer's pid ${dead} is gone` },
      { name: ".staging-cccccccccccc", bytes: 1000, why: `no build named, untouched since ${hourAgo.toISOString()}` },
    ]);
    expect(describeRemovedStaging(dir, removed)).toBe(
      `removed 2 staging directories of interrupted builds from ${dir}, 3.4 MB: .staging-aaaaaaaaaaaa (3.4 MB; its writer's pid ${dead} is gone), ` +
        `.staging-cccccccccccc (0.0 MB; no build named, untouched since ${hourAgo.toISOString()})`,
    );
    expect((await readdir(dir)).sort()).toEqual([".staging-bbbbbbbbbbbb", ".staging-dddddddddddd", "20261201T100000Z-aaaaaaaaaa"]);
    expect(await removeStaleStaging(dir)).toEqual([]);
  });

  it("keeps a version being written, and the finished version holds no writer's pid", async () => {
    dir = await mkdtemp(join(tmpdir(), "staging-"));
    const writer = await VersionWriter.open(dir);
    writer.set("popular", { bytes: new Uint8Array(4), contentType: "application/json" });
    expect(await removeStaleStaging(dir)).toEqual([]);
    const { version, dir: written } = await writer.finish({} as never, [], new Date("2026-12-01T10:00:00Z"));
    expect((await readdir(dir)).sort()).toEqual(["LATEST", version].sort());
    expect((await readdir(written)).sort()).toEqual(["blobs", "catalog.json", "manifest.json"]);
  });
});
