import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "./local/wrangler";

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("index-builder build --data", () => {
  it("names the directory it read in its log and the manifest, not the demo's", { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "cli-build-"));
    dirs.push(dir);
    const data = join(dir, "ml-bad");
    await mkdir(data);
    await writeFile(join(data, "movies.csv"), "movieId,title,genres\n1,One (2000),Drama\n2,Two (2001),Comedy\n3,Three (2002),Drama\n");
    const rows = ["userId,movieId,rating,timestamp"];
    for (let u = 1; u <= 6; u++)
      for (let m = 1; m <= 3; m++) if ((u + m) % 3 !== 0) rows.push(`${u},${m},${1 + ((u * m) % 5)},${1_500_000_000 + u * 1000 + m}`);
    await writeFile(join(data, "ratings.csv"), rows.join("\n") + "\n");
    const out = join(dir, "index");
    const env = { ...process.env, UPSTASH_REDIS_REST_URL: "", UPSTASH_REDIS_REST_TOKEN: "" };
    const args = ["--import", "tsx", join(PROJECT_ROOT, "index-builder", "src", "cli.ts"), "build", "--data", `${data}/`, "--out", out];
    const run = spawnSync(process.execPath, [...args, "--tune-seconds", "0", "--ranker", "off"], { encoding: "utf8", env });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^read 3 items, \d+ interactions from ml-bad$/m);
    const version = (await readFile(join(out, "LATEST"), "utf8")).trim();
    const manifest = JSON.parse(await readFile(join(out, version, "manifest.json"), "utf8")) as { source: { dataset: string } };
    expect(manifest.source.dataset).toBe("ml-bad");
  });
});
