import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { DEFAULT_TUNE, tuneBudget } from "../build/tune-on-validation";
import { join } from "node:path";
import { type Dataset, type Interaction, readMovieLensLatest } from "../data/movielens";
import { ingestFromRedis, readLiveEvents, toInteraction } from "../ingest/redis-stream";
import { AdminClient, type AdminClientOptions } from "../publish/admin-client";
import { garbageCollect } from "../publish/garbage-collect";
import { readBuiltManifest, uploadVersion } from "../publish/publish-index";
import { blobProblems } from "./blob-check";
import { checkCanary } from "./canary-check";
import { type CanaryConfig, canaryId, startCanary, stopCanary } from "./canary-experiment";
import { canaryTable } from "./canary-decision";
import { evaluateVersion } from "./evaluate-version";
import { DEFAULT_GATE, gate, type GateConfig, gateTable } from "./gate";
import { DEFAULT_HOLDOUT, gateHoldout, type Holdout, type HoldoutProtocol } from "./holdout";
import { importDataset, type ImportOptions } from "../import/import-dataset";
import { dropErasedRows, earliestRead, erasedCheckOf, type ErasureListRecord, erasureListOf } from "../ingest/erasures";
import { redisSeededDigests, seedHistories } from "../publish/seed-histories";
import { downloadVersion, readBuiltVersion } from "./load-version";
import { pruneBuilds } from "./prune-builds";
import { claimFile } from "../local/dir-claim";
import { openRun, type Outcome, type PipelineState, saveRun, type StepName, STEPS } from "./pipeline-state";
import { buildInWorker } from "../local/build-in-worker";

export interface PipelineOptions extends AdminClientOptions {
  /**
   * Where the run's state, the ingested events with their stream cursor,
   * builds and the report live. The cursor sits beside the events it
   * covers, so the two can never disagree: CI keeps this directory between
   * runs (actions/cache); if it is lost, both are, and ingest starts again
   * from the oldest event the stream still holds.
   */
  workDir: string;
  /** The base dataset (MovieLens "latest" layout), unless `import` names one. */
  dataDir: string;
  /** The base dataset as an interaction log (and item file) to import, as `build --interactions` reads it. */
  import?: ImportOptions;
  /** Upstash REST URL and token of the event stream; null skips ingest. */
  redis: { url: string; token: string } | null;
  /** Gate an existing build instead of building (step 2 records it). */
  candidateDir?: string;
  /** Train the heavy ranker in the build (default true). */
  ranker?: boolean;
  /** The build's tuning budget in CPU s (default build's, DEFAULT_TUNE; 0 builds untuned). */
  tuneSeconds?: number;
  /**
   * After promotion, seed the base data's users' histories into their
   * sessions under the new version's weights (publish/seed-histories.ts), so
   * the Worker serves them as the gate scored them. Off by default: it
   * writes every user's session on every run.
   */
  seedHistories?: boolean;
  holdout?: HoldoutProtocol;
  gate?: GateConfig;
  /** The canary experiment's share (or regions) and its probes; null: promote without a canary. */
  canary: (CanaryConfig & { probes: number; settleMs: number; tolerance?: number }) | null;
  gc: { keep: number; apply: boolean; graceMs?: number };
  /** Stop (successfully) after this step; the next run resumes after it. */
  stopAfter?: StepName;
  log?: (line: string) => void;
}

export interface PipelineResult {
  outcome: Outcome | "stopped";
  state: PipelineState;
  /** The gate table in markdown, once the gate ran. */
  table: string | null;
}

/**
 * `index-builder pipeline`: ingest, build, evaluate, gate, upload, canary,
 * promote or roll back, garbage-collect. Each step records its result in
 * the run's state before the next starts; a rerun after a failure resumes at
 * the first unfinished step, and a run that reached an outcome is archived
 * and the next invocation starts afresh.
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  await mkdir(options.workDir, { recursive: true });
  const release = await claimWorkDir(options.workDir, options.log ?? (() => {}));
  try {
    return await runClaimed(options);
  } finally {
    await release();
  }
}

/** The file that names the pipeline running on a work directory (dir-claim.ts). */
export const WORK_CLAIM_FILE = "pipeline.pid";

/**
 * One pipeline at a time on a work directory: two would share its state,
 * builds and report, and race each other's canary. A second one is refused
 * at once, naming the first; a claim left by a run that was killed is taken
 * over, and the log says so.
 */
export async function claimWorkDir(workDir: string, log: (line: string) => void): Promise<() => Promise<void>> {
  const file = join(workDir, WORK_CLAIM_FILE);
  return claimFile(file, {
    refuse: (pid) =>
      `another pipeline (pid ${pid}) is running on ${workDir}: let it finish (a run started after it resumes or starts afresh), ` +
      `or give this one --work DIR of its own (if no pipeline runs, delete ${file})`,
    onTakeover: (pid, why) => log(`took over ${workDir} from pipeline pid ${pid}, which ended without releasing it (${why})`),
  });
}

async function runClaimed(options: PipelineOptions): Promise<PipelineResult> {
  const log = options.log ?? (() => {});
  const client = new AdminClient(options);
  const state = await openRun(options.workDir, new Date(), options.candidateDir);
  const eventsFile = join(options.workDir, "live-events.jsonl");
  const protocol = options.holdout ?? DEFAULT_HOLDOUT;
  let loaded: Promise<{ dataset: Dataset; live: ReadonlySet<Interaction>; erasureList?: ErasureListRecord }> | null = null;
  // The base data plus every ingested event: read once per invocation, after ingest.
  const loadDataset = () =>
    (loaded ??= (async () => {
      const dataset = options.import ? (await importDataset(options.import)).dataset : await readMovieLensLatest(options.dataDir);
      // The base data may still hold users erased since it was exported: no build trains on them.
      const list = await erasureListOf(options.redis, process.env.ERASURE_KEY);
      const dropped = await dropErasedRows(dataset, list?.check);
      if (dropped > 0) log(`left out ${dropped} rows of erased users from the base data`);
      const live = ((await exists(eventsFile)) ? await readLiveEvents(eventsFile) : []).map(toInteraction);
      dataset.interactions.push(...live);
      // The live events honoured the list as ingest read it, the base data as read here: the build honoured the earlier read.
      const ingested = state.ingest && "erasureList" in state.ingest ? state.ingest.erasureList : undefined;
      return { dataset, live: new Set(live), erasureList: earliestRead(ingested, list?.record) };
    })());
  let split: Holdout | null = null;
  const holdoutOf = async () => {
    if (split) return split;
    split = gateHoldout((await loadDataset()).dataset, protocol);
    if (split.fallback)
      log(`WARNING: gate holdout: the time cut is unsound (${split.fallback}); holding out (user, item) pairs by hash instead (the same pairs every run)`);
    return split;
  };
  const finish = async (outcome: Outcome): Promise<PipelineResult> => {
    // The version serving now stays on disk: the next run's gate reads it, and its build starts from its title pages.
    const serving = outcome === "promoted" ? state.build?.version : (await client.current().catch(() => null))?.version;
    await pruneBuilds(join(options.workDir, "builds"), serving);
    state.outcome = outcome;
    state.finishedAt = new Date().toISOString();
    await saveRun(options.workDir, state);
    await writeReport(options.workDir, state);
    log(`pipeline: ${outcome}`);
    return { outcome, state, table: summaryTable(state) };
  };
  const step = async (name: StepName, run: () => Promise<void>): Promise<boolean> => {
    if (state[name] === undefined) {
      log(`pipeline: ${name}`);
      await run();
      await saveRun(options.workDir, state);
    } else log(`pipeline: ${name} (done in an earlier attempt)`);
    return options.stopAfter === name;
  };
  const stopped = async (): Promise<PipelineResult> => {
    await writeReport(options.workDir, state);
    return { outcome: "stopped", state, table: summaryTable(state) };
  };

  if (
    await step("ingest", async () => {
      if (!options.redis) {
        state.ingest = { skipped: "no Upstash URL and token" };
        return;
      }
      const r = await ingestFromRedis({ ...options.redis, outFile: eventsFile, cursorFile: join(options.workDir, "live-events.cursor"), log });
      state.ingest = { written: r.written, droppedErased: r.droppedErased, cursor: r.cursor, erasureList: r.erasureList };
    })
  )
    return stopped();

  if (
    await step("build", async () => {
      const { live: liveRows, erasureList } = await loadDataset();
      const holdout = await holdoutOf();
      const liveEventsTrained = holdout.train.interactions.reduce((n, x) => (liveRows.has(x) ? n + 1 : n), 0);
      const record = {
        cutAt: holdout.protocol.kind === "pair-hash" ? null : new Date(holdout.cutMs).toISOString(),
        ...(holdout.fallback ? { holdoutFallback: holdout.fallback } : {}),
        trainEvents: holdout.train.interactions.length,
        liveEvents: liveRows.size,
        liveEventsTrained,
        liveEventsHeldOut: liveRows.size - liveEventsTrained,
      };
      log(liveEventsLine(record, holdout.protocol));
      if (options.candidateDir) {
        const manifest = await readBuiltManifest(options.candidateDir);
        state.build = { dir: options.candidateDir, version: manifest.version, ...record };
        return;
      }
      // The live version's build, when this work directory holds it: title pages that did not change keep its bytes.
      const live = await client.current();
      const liveDir = live ? join(options.workDir, "builds", live.version) : null;
      const titleBase = liveDir && (await exists(join(liveDir, "manifest.json"))) ? liveDir : undefined;
      // On a thread of its own, as npm start's: training is long synchronous work, and on this thread it would hold
      // off a Ctrl-C or CI's SIGTERM (Node runs signal handlers between tasks) until the build was done.
      const built = await buildInWorker(
        {
          dataset: holdout.train,
          outDir: join(options.workDir, "builds"),
          options: { ranker: options.ranker ?? true, titleBase, tune: tuneBudget(options.tuneSeconds ?? DEFAULT_TUNE.budgetSeconds), erasureList },
        },
        log,
      ).result;
      state.build = { dir: built.dir, version: built.version, ...record };
    })
  )
    return stopped();
  const build = state.build!;

  if (
    await step("evaluate", async () => {
      const holdout = await holdoutOf();
      const candidate = await readBuiltVersion(build.dir);
      const problems = await blobProblems(candidate);
      // Built here on the holdout's training rows, it never saw the held-out ones; a --candidate build may have.
      const trainedWithout = options.candidateDir ? undefined : true;
      const evaluation = await evaluateVersion(candidate, holdout, categoriesOf((await loadDataset()).dataset), trainedWithout).catch((err: unknown) => {
        // A version whose blobs do not decode cannot be scored: it scores nothing, and the gate names its blobs.
        problems.push(`evaluation failed: ${err instanceof Error ? err.message : String(err)}`);
        return {
          version: build.version,
          ndcgAt10: 0,
          recallAt10: 0,
          coverage: 0,
          users: 0,
          warmUsers: 0,
          annRecallAt100: null,
          degraded: {},
          order: null,
          rankers: {},
          sawHoldout: false,
        };
      });
      state.evaluate = { candidate: evaluation, blobProblems: problems };
      // The protocol and figures travel with the version (before upload: versions are immutable once published).
      const manifestFile = join(build.dir, "manifest.json");
      const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as Record<string, unknown>;
      manifest.evaluation = {
        protocol: { ...holdout.protocol },
        cutAt: build.cutAt,
        ndcgAt10: evaluation.ndcgAt10,
        recallAt10: evaluation.recallAt10,
        coverage: evaluation.coverage,
        users: evaluation.users,
        sawHoldout: evaluation.sawHoldout,
      };
      await writeFile(manifestFile, JSON.stringify(manifest, null, 2));
      log(
        `candidate ${evaluation.version}: nDCG@10 ${evaluation.ndcgAt10}, coverage ${evaluation.coverage}, ${evaluation.users} users; ${problems.length} blob problem(s)`,
      );
    })
  )
    return stopped();

  const gateStopped = await step("gate", async () => {
    const current = await client.current();
    let live = null;
    if (current) {
      const localDir = join(options.workDir, "builds", current.version);
      const blobs = (await exists(join(localDir, "manifest.json")))
        ? await readBuiltVersion(localDir)
        : await downloadVersion(client, current.version, join(options.workDir, "blob-cache"));
      live = await evaluateVersion(blobs, await holdoutOf(), categoriesOf((await loadDataset()).dataset));
    }
    state.gate = gate(live, state.evaluate!.candidate, state.evaluate!.blobProblems, options.gate ?? DEFAULT_GATE);
    log(gateTable(state.gate));
  });
  // A refusal ends the run whatever step it was to stop after: `--stop-after gate` must not exit 0 on a refused candidate.
  if (!state.gate!.pass) return finish("refused");
  if (gateStopped) return stopped();

  if (
    await step("upload", async () => {
      // The live version's build, when this work directory holds it: only catalog rows that changed are sent.
      const live = await client.current();
      const liveDir = live ? join(options.workDir, "builds", live.version) : undefined;
      const previousDir = liveDir && liveDir !== build.dir && (await exists(join(liveDir, "catalog.json"))) ? liveDir : undefined;
      state.upload = await uploadVersion(build.dir, { ...options, previousDir, log });
    })
  )
    return stopped();

  const canaryStopped = await step("canary", async () => {
    const current = await client.current();
    if (!options.canary || !current) {
      state.canary = { skipped: options.canary ? "no live version to compare with: first publication" : "canary disabled" };
      return;
    }
    const started = await startCanary(client, state.runId, build.version, options.canary, log);
    if (started === "stopped") {
      // Its checks stop it only when they fail; a rollback run by hand stops it too. Either way the candidate is withdrawn.
      const detail = `${canaryId(state.runId)} was already stopped (by an earlier attempt of this run whose checks failed, or by someone else: a rollback); the candidate is withdrawn`;
      state.canary = { experimentId: canaryId(state.runId), pass: false, checks: [{ name: "canary", pass: false, detail }] };
      return;
    }
    const { experiment, holdout } = started;
    const manifest = await readBuiltManifest(build.dir);
    const result = await checkCanary({
      url: options.url,
      adminKey: options.adminKey,
      experiment,
      holdout,
      version: build.version,
      liveVersion: current.version,
      itemIds: manifest.fallbackItemIds.slice(0, 20),
      probes: options.canary.probes,
      settleMs: options.canary.settleMs,
      tolerance: options.canary.tolerance,
    });
    state.canary = { experimentId: experiment.id, ...result };
    for (const c of result.checks.filter((c) => !c.pass)) log(`canary check failed: ${c.name}: ${c.detail}`);
    const { candidate, control } = result.decision;
    log(
      `canary: candidate ${candidate.faults} faults, ${candidate.environmentDegraded}/${candidate.probes} environment-degraded; ` +
        `control ${control.faults} faults, ${control.environmentDegraded}/${control.probes}`,
    );
    if (!result.pass) await stopCanary(client, experiment.id);
  });
  if (state.canary && "pass" in state.canary && !state.canary.pass) return finish("rolled_back");
  if (canaryStopped) return stopped();

  // A canary stopped since its checks passed (a rollback run by hand stops every running canary) withdrew the candidate:
  // a resumed run must not promote it.
  if (state.promote === undefined && state.canary && "experimentId" in state.canary) {
    const withdrawn = await withdrawnCanary(client, state.canary.experimentId, build.version);
    if (withdrawn) {
      log(`promote refused: ${withdrawn}`);
      state.canary.pass = false;
      state.canary.checks.push({ name: "canary still running", pass: false, detail: withdrawn });
      return finish("rolled_back");
    }
  }

  if (
    await step("promote", async () => {
      const current = await client.current();
      // The pointer first, then the canary stops: its candidate users stay on the candidate throughout.
      await client.setCurrent(build.version);
      if (state.canary && "experimentId" in state.canary) await stopCanary(client, state.canary.experimentId);
      state.promote = { from: current?.version ?? null, to: build.version };
      log(`current version ${current?.version ?? "(none)"} -> ${build.version}`);
    })
  )
    return stopped();

  if (
    await step("histories", async () => {
      if (!options.seedHistories) {
        state.histories = { skipped: "not asked (--seed-histories)" };
        return;
      }
      const erased = await erasedCheckOf(options.redis, process.env.ERASURE_KEY);
      // The whole base data (the held-out rows too: they are the users' history as much as the rest), its live events left out.
      // Only users whose history changed since the last run's seeding are sent (their digests are in Redis).
      const digests = options.redis ? redisSeededDigests(options.redis) : undefined;
      const r = await seedHistories((await loadDataset()).dataset, build.dir, { ...options, log, erased, digests });
      state.histories = { users: r.users, unchanged: r.unchanged, items: r.items, erasedRows: r.erasedRows, seconds: r.seconds };
    })
  )
    return stopped();

  await step("gc", async () => {
    state.gc = await garbageCollect({ ...options, ...options.gc, log });
  });
  return finish("promoted");
}

/**
 * Why the candidate may no longer be promoted: its canary experiment is no
 * longer running (stopped, or gone), while the pointer does not name it yet.
 * Null when it may (the canary runs, or an earlier attempt of this step had
 * moved the pointer already and then stopped it).
 */
async function withdrawnCanary(client: AdminClient, experimentId: string, version: string): Promise<string | null> {
  const experiment = await client.experiment(experimentId);
  if (experiment?.status === "running") return null;
  if ((await client.current())?.version === version) return null;
  const what = experiment ? `was stopped${experiment.stoppedAtMs ? ` at ${new Date(experiment.stoppedAtMs).toISOString()}` : ""}` : "no longer exists";
  return (
    `the canary experiment ${experimentId} ${what} after its checks passed: someone else (a rollback) withdrew candidate ${version}; ` +
    `it is not promoted. The next run starts afresh`
  );
}

/** report.json (the whole run) and gate.md (the gate table) in the work directory: the CI job's summary and artifact. */
async function writeReport(workDir: string, state: PipelineState): Promise<void> {
  await writeFile(join(workDir, "report.json"), JSON.stringify(state, null, 2));
  const table = summaryTable(state);
  if (table) await writeFile(join(workDir, "gate.md"), table + outcomeLine(state));
}

/** The gate table, and the canary's arms once it ran: the job summary. */
function summaryTable(state: PipelineState): string | null {
  if (!state.gate) return null;
  const canary =
    state.canary && "decision" in state.canary && state.canary.decision ? `\n${canaryTable(state.canary.decision, state.canary.healthy ?? true)}` : "";
  return gateTable(state.gate) + canary;
}

function outcomeLine(state: PipelineState): string {
  const steps = STEPS.filter((s) => state[s] !== undefined).join(", ");
  return `\nOutcome: **${state.outcome ?? "in progress"}** (steps done: ${steps})\n`;
}

/**
 * The holdout's split of the ingested live events, for the log: how many the
 * build trains on and how many it holds out. The time cut is a quantile of
 * every row's time, so while the live events are fewer than the held-out
 * share of all rows and newer than the base data (a fixed base dataset),
 * every one of them is at or after the cut: none is trained on.
 */
export function liveEventsLine(
  record: { cutAt: string | null; trainEvents: number; liveEvents: number; liveEventsTrained: number; liveEventsHeldOut: number },
  protocol: HoldoutProtocol,
): string {
  const where = record.cutAt === null ? "by pair hash" : `at or after the cut ${record.cutAt}`;
  const line =
    `holdout: ${record.trainEvents} rows to train on, ${record.liveEventsTrained} of them live events; ` +
    `${record.liveEventsHeldOut} of ${record.liveEvents} live events held out (${where})`;
  if (record.liveEvents === 0 || record.liveEventsTrained > 0 || record.cutAt === null) return line;
  return (
    `${line}. WARNING: no live event is trained on: the cut holds out the newest ${protocol.heldOutFraction * 100}% of all rows, ` +
    `and the live events are all among them until they outnumber that share of the base data`
  );
}

function categoriesOf(dataset: Dataset): (itemId: string) => readonly string[] {
  const map = new Map(dataset.items.map((item) => [item.itemId, item.categories]));
  return (itemId) => map.get(itemId) ?? [];
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
