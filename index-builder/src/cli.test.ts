import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { type AddressInfo } from "node:net";
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

describe("index-builder pipeline", () => {
  it("stops at once on SIGTERM during the build, releasing its work directory", { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "cli-pipeline-"));
    dirs.push(dir);
    // A Worker with nothing published: all the build step asks of it.
    const server = createServer((_, res) => {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { code: "index_not_published", message: "nothing published" } }));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const work = join(dir, "work");
      const env = { ...process.env, UPSTASH_REDIS_REST_URL: "", UPSTASH_REDIS_REST_TOKEN: "" };
      const cli = join(PROJECT_ROOT, "index-builder", "src", "cli.ts");
      const args = [
        "--import",
        "tsx",
        cli,
        "pipeline",
        "--url",
        url,
        "--admin-key",
        "sk_test",
        "--work",
        work,
        "--stop-after",
        "build",
        "--tune-seconds",
        "30",
      ];
      const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      const training = new Promise<void>((resolve) =>
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          // Well into the build's synchronous training, which on the main thread held signals off until it was done.
          if (output.includes("tune ials:")) resolve();
        }),
      );
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const exited = once(child, "exit") as Promise<[number | null, string | null]>;
      await training;
      child.kill("SIGTERM");
      const atKill = output.length;
      const [code] = await exited;
      expect(code, output).toBe(143);
      expect(output).toContain("pipeline: stopped by SIGTERM; run it again on this --work to resume at the step it stopped in");
      // Stopped where it was: the iALS walk did not go on to the light weights' (on the main thread it did, the
      // signal waiting for the first pause in the build).
      expect(output.slice(atKill)).not.toContain("tune light");
      expect(output).not.toContain("wrote index");
      await expect(access(join(work, "pipeline.pid"))).rejects.toThrow();
    } finally {
      server.close();
    }
  });
});
