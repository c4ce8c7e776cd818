import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pruneBuilds } from "./prune-builds";

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A builds directory holding these versions, LATEST naming `latest`. */
async function builds(versions: string[], latest: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "prune-builds-"));
  dirs.push(dir);
  for (const v of versions) {
    await mkdir(join(dir, v));
    await writeFile(join(dir, v, "manifest.json"), "{}");
  }
  await writeFile(join(dir, "LATEST"), `${latest}\n`);
  return dir;
}

describe("pruneBuilds", () => {
  it("keeps the serving build and points LATEST at it, though the newest build (refused) named itself", async () => {
    const dir = await builds(["v1-live", "v2-refused"], "v2-refused");
    await pruneBuilds(dir, "v1-live");
    expect((await readdir(dir)).sort()).toEqual(["LATEST", "v1-live"]);
    expect((await readFile(join(dir, "LATEST"), "utf8")).trim()).toBe("v1-live");
  });

  it("removes LATEST when the serving build is not here (a --candidate built elsewhere was promoted)", async () => {
    const dir = await builds(["v1-old-live"], "v1-old-live");
    await pruneBuilds(dir, "v2-candidate");
    expect(await readdir(dir)).toEqual([]);
  });

  it("removes LATEST when nothing serves (a first candidate refused)", async () => {
    const dir = await builds(["v1-refused"], "v1-refused");
    await pruneBuilds(dir, undefined);
    expect(await readdir(dir)).toEqual([]);
  });

  it("does nothing to a work directory without builds", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "prune-builds-")), "builds");
    dirs.push(dir);
    await pruneBuilds(dir, "v1");
    await expect(readdir(dir)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
