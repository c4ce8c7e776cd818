import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pruneVersions } from "./write-version";

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
