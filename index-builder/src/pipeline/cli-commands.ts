import { appendFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { oneOf } from "../cli-options";
import { IMPORT_ARGS, importOptionsFrom } from "../import/import-args";
import { PROJECT_ROOT } from "../local/wrangler";
import { garbageCollect } from "../publish/garbage-collect";
import { rollback } from "../publish/rollback";
import { DEFAULT_ENVIRONMENT_TOLERANCE } from "./canary-decision";
import { DEFAULT_GATE } from "./gate";
import { DEFAULT_TUNE, parseTuneSeconds } from "../build/tune-on-validation";
import { runPipeline } from "./pipeline";
import { STEPS } from "./pipeline-state";

export const PUBLICATION_USAGE = `  pipeline  Ingest, build, evaluate, gate, upload, canary, promote or roll back, collect garbage
            --url URL           the Worker (default $WORKER_URL); the secret key comes from $SECRET_KEY (or --admin-key)
            --redis-url URL --redis-token T   the event stream (default $UPSTASH_REDIS_REST_URL/_TOKEN; none: no ingest)
            --work DIR          run state, events, builds, report (default .pipeline)
            --data DIR          base dataset (default data/ml-latest-small)
            --interactions FILE base dataset as an interaction log instead, with build's import options
                                (--items, --kind, ...). Without usable timestamps the gate's time cut
                                becomes a hash split of (user, item) pairs, the same every run, and says so
            --candidate DIR     gate and publish this build instead of building
            --no-ranker         build without the heavy ranker
            --tune-seconds N    the build's tuning budget in CPU s (default ${DEFAULT_TUNE.budgetSeconds}; 0 builds untuned)
            --seed-histories    after promotion, put the base data's users' histories into their sessions under
                                the new version's weights (what the gate scores them with); only users whose
                                history changed since the last run's seeding are sent (digests in Redis);
                                needs $ERASURE_KEY once anyone was erased
            --ndcg-tolerance X  largest relative nDCG@10 drop (default ${DEFAULT_GATE.ndcgTolerance})
            --ann-recall-floor X  (default ${DEFAULT_GATE.annRecallFloor})   --coverage-floor X  (default ${DEFAULT_GATE.coverageFloorRatio})
            --canary-share X    share of users on the candidate (default 0.1; 0 disables the canary);
                                the canary is an experiment in layer "canary" whose treatment pins the candidate
            --canary-regions a,b  only these regions   --canary-probes N users per arm (default 5)   --canary-settle-s S (default 70)
            --canary-tolerance X  how far the candidate's environment-degraded probe rate (Redis, D1, session timeouts)
                                may exceed the live control arm's, probed alongside (default ${DEFAULT_ENVIRONMENT_TOLERANCE})
            --keep N            versions kept by gc (default 5)   --gc-apply  delete (default: dry run)
            --stop-after STEP   ${STEPS.join("|")}
            Exit code 0 promoted, 2 refused by the gate, 3 rolled back by the canary.
  rollback  Stop a running canary, make an earlier version current   --to VERSION (default: the latest earlier one
            not itself rolled back from, so repeated rollbacks walk back, nor deleted since; the log names what it
            skipped)  --url --admin-key
  gc        Collect versions and blobs nothing references (the current version, experiments' pinned versions, the last N)
            --keep N (default 5)  --apply  --url --admin-key
`;

export const PUBLICATION_COMMANDS = new Set(["pipeline", "rollback", "gc"]);

/** Runs `pipeline`, `rollback` or `gc`; writes the gate table to $GITHUB_STEP_SUMMARY when set. */
export async function runPublicationCommand(command: string, args: string[]): Promise<void> {
  const log = (line: string) => console.log(line);
  const { values } = parseArgs({
    args,
    options: {
      url: { type: "string" },
      "admin-key": { type: "string" },
      "redis-url": { type: "string" },
      "redis-token": { type: "string" },
      work: { type: "string" },
      data: { type: "string" },
      candidate: { type: "string" },
      "no-ranker": { type: "boolean" },
      "tune-seconds": { type: "string" },
      "seed-histories": { type: "boolean" },
      "ndcg-tolerance": { type: "string" },
      "ann-recall-floor": { type: "string" },
      "coverage-floor": { type: "string" },
      "canary-share": { type: "string" },
      "canary-regions": { type: "string" },
      "canary-probes": { type: "string" },
      "canary-settle-s": { type: "string" },
      "canary-tolerance": { type: "string" },
      keep: { type: "string" },
      "gc-apply": { type: "boolean" },
      apply: { type: "boolean" },
      "stop-after": { type: "string" },
      to: { type: "string" },
      ...IMPORT_ARGS,
    },
  });
  const url = values.url ?? process.env.WORKER_URL ?? "http://127.0.0.1:8787";
  const adminKey = values["admin-key"] ?? process.env.SECRET_KEY;
  if (!adminKey) throw new Error(`${command} needs a secret key: $SECRET_KEY (or --admin-key)`);
  const keep = positive(values.keep ?? "5", "--keep");
  if (command === "rollback") {
    await rollback({ url, adminKey, to: values.to, log });
    return;
  }
  if (command === "gc") {
    await garbageCollect({ url, adminKey, keep, apply: values.apply === true, log });
    return;
  }
  const stopAfter = oneOf("--stop-after", values["stop-after"], STEPS);
  if (values.data && values.interactions) throw new Error("give the base dataset once: --data DIR or --interactions FILE");
  const redisUrl = values["redis-url"] ?? process.env.UPSTASH_REDIS_REST_URL;
  const redisToken = values["redis-token"] ?? process.env.UPSTASH_REDIS_REST_TOKEN;
  const share = fraction(values["canary-share"] ?? "0.1", "--canary-share");
  // A Ctrl-C, or CI's timeout (SIGTERM): exit at once (the build's thread goes with the process, and the exit
  // releases the work directory's claim) and say how to go on.
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.once(signal, () => {
      log(`pipeline: stopped by ${signal}; run it again on this --work to resume at the step it stopped in`);
      process.exit(code);
    });
  }
  const result = await runPipeline({
    url,
    adminKey,
    workDir: resolve(values.work ?? join(PROJECT_ROOT, ".pipeline")),
    dataDir: resolve(values.data ?? join(PROJECT_ROOT, "data", "ml-latest-small")),
    ...(values.interactions ? { import: importOptionsFrom(values) } : {}),
    redis: redisUrl && redisToken ? { url: redisUrl, token: redisToken } : null,
    candidateDir: values.candidate ? resolve(values.candidate) : undefined,
    ranker: values["no-ranker"] !== true,
    ...(values["tune-seconds"] === undefined ? {} : { tuneSeconds: parseTuneSeconds(values["tune-seconds"]) }),
    seedHistories: values["seed-histories"] === true,
    gate: {
      ndcgTolerance: fraction(values["ndcg-tolerance"] ?? String(DEFAULT_GATE.ndcgTolerance), "--ndcg-tolerance"),
      annRecallFloor: fraction(values["ann-recall-floor"] ?? String(DEFAULT_GATE.annRecallFloor), "--ann-recall-floor"),
      coverageFloorRatio: fraction(values["coverage-floor"] ?? String(DEFAULT_GATE.coverageFloorRatio), "--coverage-floor"),
    },
    canary:
      share > 0
        ? {
            share,
            regions: values["canary-regions"] ? values["canary-regions"].split(",").map((r) => r.trim().toLowerCase()) : null,
            probes: positive(values["canary-probes"] ?? "5", "--canary-probes"),
            settleMs: 1000 * Number(values["canary-settle-s"] ?? "70"),
            tolerance: fraction(values["canary-tolerance"] ?? String(DEFAULT_ENVIRONMENT_TOLERANCE), "--canary-tolerance"),
          }
        : null,
    gc: { keep, apply: values["gc-apply"] === true },
    stopAfter,
    log,
  });
  if (result.table && process.env.GITHUB_STEP_SUMMARY) {
    await appendFile(process.env.GITHUB_STEP_SUMMARY, `## Index publication\n\n${result.table}\nOutcome: **${result.outcome}**\n`);
  }
  if (result.outcome === "refused") process.exitCode = 2;
  if (result.outcome === "rolled_back") process.exitCode = 3;
}

function fraction(text: string, flag: string): number {
  const x = Number(text);
  if (!(x >= 0 && x <= 1)) throw new Error(`${flag} must be a number from 0 to 1`);
  return x;
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer`);
  return n;
}
