import { createServer, type Server } from "node:http";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Experiment } from "../../../shared/experiments/experiment";
import { parseExperimentDefinition } from "../../../shared/experiments/experiment-input";
import { SeededRandom } from "../../../shared/seeded-random";
import { rollback } from "../publish/rollback";
import { startFakeAdminApi } from "../publish/fake-admin-api";
import { canaryDefinition } from "./canary-experiment";
import { type VersionEvaluation } from "./evaluate-version";
import { gate } from "./gate";
import { runPipeline, type PipelineOptions } from "./pipeline";
import { type PipelineState, saveRun } from "./pipeline-state";
import { emptyUploadReport } from "../publish/publish-index";

/**
 * The pipeline on a small MovieLens-layout directory (ratings in 2018) and 20
 * live events (2026), against an admin API that has never published: no
 * Redis, no ranker, untuned, so a build takes a few seconds.
 */
let dir: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pipeline-test-"));
  const data = join(dir, "ml-bad");
  await mkdir(data);
  const rng = new SeededRandom(11);
  const genres = ["Drama", "Comedy", "Action", "Horror"];
  const movies = ["movieId,title,genres", ...Array.from({ length: 60 }, (_, m) => `${m + 1},Movie ${m + 1} (2001),${genres[m % 4]}`)];
  const ratings = ["userId,movieId,rating,timestamp"];
  const base = Date.parse("2018-01-01T00:00:00Z") / 1000;
  for (let u = 1; u <= 80; u++) {
    const seen = new Set<number>();
    while (seen.size < 15) seen.add(rng.next() < 0.8 ? (u % 4) + 4 * rng.int(15) + 1 : rng.int(60) + 1);
    for (const m of seen) ratings.push(`${u},${m},${1 + rng.int(5)},${base + rng.int(300 * 86_400)}`);
  }
  await writeFile(join(data, "movies.csv"), movies.join("\n") + "\n");
  await writeFile(join(data, "ratings.csv"), ratings.join("\n") + "\n");
  // The admin API of a Worker that never published: the gate has no live version to compare with.
  server = createServer((req, res) => {
    const notPublished = req.method === "GET" && req.url === "/admin/index/current";
    res.writeHead(404, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: { code: notPublished ? "index_not_published" : "not_found", message: `${req.method} ${req.url}` } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function workWithLiveEvents(name: string, count: number): Promise<string> {
  const work = join(dir, name);
  await mkdir(work);
  const at = Date.parse("2026-03-01T00:00:00Z");
  const events = Array.from({ length: count }, (_, i) => ({
    eventId: `e${i}`,
    userId: String(1 + (i % 80)),
    itemId: String(1 + ((i * 7) % 60)),
    type: "like",
    timestampMs: at + i * 60_000,
    region: "global",
    streamId: `${at + i}-0`,
  }));
  await writeFile(join(work, "live-events.jsonl"), events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  return work;
}

function options(workDir: string, lines: string[], extra: Partial<PipelineOptions> = {}): PipelineOptions {
  return {
    url,
    adminKey: "sk_test",
    attempts: 1,
    workDir,
    dataDir: join(dir, "ml-bad"),
    redis: null,
    ranker: false,
    tuneSeconds: 0,
    canary: null,
    gc: { keep: 5, apply: false },
    log: (line) => lines.push(line),
    ...extra,
  };
}

describe("runPipeline", () => {
  it("ends a refused run as refused when it was to stop after the gate, and leaves no LATEST naming the pruned build", { timeout: 120_000 }, async () => {
    const lines: string[] = [];
    const work = await workWithLiveEvents("refused", 20);
    // No candidate reaches an ANN recall of 2: the gate refuses it.
    const gate = { ndcgTolerance: 0.05, annRecallFloor: 2, coverageFloorRatio: 0.5 };
    const result = await runPipeline(options(work, lines, { stopAfter: "gate", gate }));
    expect(lines).toContain("pipeline: refused");
    expect(result.outcome, lines.join("\n")).toBe("refused");
    const report = JSON.parse(await readFile(join(work, "report.json"), "utf8")) as PipelineState;
    expect(report.outcome).toBe("refused");
    // The refused build was pruned (nothing serves): LATEST, which its build wrote, went with it.
    expect(await readdir(join(work, "builds"))).toEqual([]);
  });

  it("reports how many live events it trained on and how many the time cut held out, and names the data it read", { timeout: 120_000 }, async () => {
    const lines: string[] = [];
    const work = await workWithLiveEvents("live", 20);
    const result = await runPipeline(options(work, lines, { stopAfter: "build" }));
    expect(result.outcome).toBe("stopped");
    const build = (JSON.parse(await readFile(join(work, "report.json"), "utf8")) as PipelineState).build!;
    // 1,220 rows: the newest 5% (61) are held out, and the 20 live events, the newest of all, are among them.
    expect(build).toMatchObject({ liveEvents: 20, liveEventsTrained: 0, liveEventsHeldOut: 20, trainEvents: 1220 - 61 });
    expect(Date.parse(build.cutAt!)).toBeLessThan(Date.parse("2019-01-01T00:00:00Z"));
    expect(lines.find((l) => l.startsWith("holdout: "))).toMatch(/0 of them live events; 20 of 20 live events held out .*WARNING: no live event is trained on/);
    expect(lines.find((l) => l.startsWith("read "))).toMatch(/from ml-bad$/);
  });

  it("trains on the live events older than the cut once they outnumber the held-out share", { timeout: 120_000 }, async () => {
    const lines: string[] = [];
    const work = await workWithLiveEvents("many-live", 200);
    await runPipeline(options(work, lines, { stopAfter: "build" }));
    const build = (JSON.parse(await readFile(join(work, "report.json"), "utf8")) as PipelineState).build!;
    // 1,400 rows, 70 held out: all of them live, the other 130 live events trained on.
    expect(build).toMatchObject({ liveEvents: 200, liveEventsTrained: 130, liveEventsHeldOut: 70, trainEvents: 1330 });
    expect(lines.find((l) => l.startsWith("holdout: "))).not.toMatch(/WARNING/);
  });
});

/** A run whose every step up to the canary is recorded done (its canary passed and still runs): a resume starts at promote. */
function stateAtPromote(runId: string, version: string, workDir: string): PipelineState {
  const candidate: VersionEvaluation = {
    version,
    ndcgAt10: 0.2,
    recallAt10: 0.2,
    coverage: 0.5,
    users: 10,
    warmUsers: 10,
    annRecallAt100: 0.95,
    degraded: {},
    order: null,
    rankers: {},
    sawHoldout: false,
  };
  return {
    runId,
    startedAt: new Date().toISOString(),
    ingest: { skipped: "no Upstash URL and token" },
    build: { dir: join(workDir, "builds", version), version, cutAt: null, trainEvents: 100, liveEvents: 0 },
    evaluate: { candidate, blobProblems: [] },
    gate: gate(null, candidate, []),
    upload: emptyUploadReport(version),
    canary: { experimentId: `canary-${runId}`, pass: true, checks: [] },
  };
}

function runningCanary(id: string, version: string): Experiment {
  const definition = parseExperimentDefinition(canaryDefinition(id, version, { share: 0.1, regions: null }));
  return { ...definition, status: "running", createdAtMs: 0, updatedAtMs: 0, startedAtMs: 0, stoppedAtMs: null };
}

describe("a resumed pipeline", () => {
  it("does not promote a candidate whose canary someone else stopped: the run ends rolled back, saying so", async () => {
    // Z then A were live; the run uploaded B and left its canary running (--stop-after canary).
    const api = await startFakeAdminApi({ versions: ["Z", "A", "B"], history: ["Z", "A"] });
    try {
      const work = join(dir, "withdrawn");
      await mkdir(work);
      await saveRun(work, stateAtPromote("run1", "B", work));
      api.experiments.set("canary-run1", runningCanary("canary-run1", "B"));
      // An operator withdraws the candidate: the canary stops, and live goes back to Z.
      const rolled = await rollback({ url: api.url, adminKey: "sk_test", attempts: 1 });
      expect(rolled).toEqual({ from: "A", to: "Z" });
      expect(api.experiments.get("canary-run1")?.status).toBe("stopped");

      const lines: string[] = [];
      const result = await runPipeline(options(work, lines, { url: api.url }));
      expect(result.outcome, lines.join("\n")).toBe("rolled_back");
      expect(api.current()).toBe("Z");
      expect(api.calls.filter((c) => c.startsWith("PUT /admin/index/current"))).toHaveLength(1); // the rollback's only
      expect(lines).toContainEqual(
        expect.stringMatching(
          /^promote refused: the canary experiment canary-run1 was stopped at .* after its checks passed: someone else \(a rollback\) withdrew candidate B; it is not promoted/,
        ),
      );
      const report = JSON.parse(await readFile(join(work, "report.json"), "utf8")) as PipelineState;
      expect(report).toMatchObject({ outcome: "rolled_back", canary: { pass: false } });
      expect(report.promote).toBeUndefined();
    } finally {
      await api.close();
    }
  });

  it("promotes when its canary still runs, and stops it after the pointer moved", async () => {
    const api = await startFakeAdminApi({ versions: ["A", "B"], history: ["A"] });
    try {
      const work = join(dir, "still-running");
      await mkdir(work);
      await saveRun(work, stateAtPromote("run2", "B", work));
      api.experiments.set("canary-run2", runningCanary("canary-run2", "B"));
      const lines: string[] = [];
      const result = await runPipeline(options(work, lines, { url: api.url }));
      expect(result.outcome, lines.join("\n")).toBe("promoted");
      expect(api.current()).toBe("B");
      expect(api.experiments.get("canary-run2")?.status).toBe("stopped");
    } finally {
      await api.close();
    }
  });
});

describe("the work directory's claim", () => {
  it("refuses a second pipeline on the directory at once, naming the one running, and leaves the first run's state alone", { timeout: 120_000 }, async () => {
    const work = await workWithLiveEvents("twice", 20);
    const first: string[] = [];
    const second: string[] = [];
    const runs = await Promise.allSettled([
      runPipeline(options(work, first, { stopAfter: "build" })),
      runPipeline(options(work, second, { stopAfter: "build" })),
    ]);
    const refused = runs.filter((r) => r.status === "rejected");
    expect(refused, [...first, ...second].join("\n")).toHaveLength(1);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toContain(
      `another pipeline (pid ${process.pid}) is running on ${work}: let it finish (a run started after it resumes or starts afresh), or give this one --work DIR of its own (if no pipeline runs, delete ${join(work, "pipeline.pid")})`,
    );
    // The refused one did nothing: one build, one run's state; and the claim went with the run that held it.
    expect((runs.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<{ outcome: string }>).value.outcome).toBe("stopped");
    expect((await readdir(join(work, "builds"))).filter((n) => n !== "LATEST")).toHaveLength(1);
    expect([...first, ...second].filter((l) => l === "pipeline: build")).toHaveLength(1);
    await expect(stat(join(work, "pipeline.pid"))).rejects.toThrow();
  });

  it("takes over the claim of a run that died, and says so", async () => {
    const work = await workWithLiveEvents("dead-claim", 1);
    // Pid 2^22 + 1 lies above Linux's pid limit: no process has it.
    await writeFile(join(work, "pipeline.pid"), String(2 ** 22 + 1));
    const lines: string[] = [];
    expect((await runPipeline(options(work, lines, { stopAfter: "ingest" }))).outcome).toBe("stopped");
    expect(lines).toContain(`took over ${work} from pipeline pid ${2 ** 22 + 1}, which ended without releasing it (pid ${2 ** 22 + 1} is gone)`);
    await expect(stat(join(work, "pipeline.pid"))).rejects.toThrow();
  });

  it("takes over a claim whose pid another process took since (a directory restored from CI's cache)", async () => {
    const work = await workWithLiveEvents("reused-pid", 1);
    const other = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      // The claim was written an hour ago; the process now holding its pid started just now.
      await writeFile(join(work, "pipeline.pid"), String(other.pid));
      const hourAgo = new Date(Date.now() - 3_600_000);
      await utimes(join(work, "pipeline.pid"), hourAgo, hourAgo);
      const lines: string[] = [];
      await runPipeline(options(work, lines, { stopAfter: "ingest" }));
      expect(lines).toContain(
        `took over ${work} from pipeline pid ${other.pid}, which ended without releasing it (pid ${other.pid} is now another process, started after the claim)`,
      );
    } finally {
      other.kill();
      await once(other, "exit");
    }
  });
});
