import { join } from "node:path";
import { type BuildResult } from "../build/build-index";
import { pruneVersions } from "../build/write-version";
import { DEFAULT_TUNE, tuneBudget } from "../build/tune-on-validation";
import { readMovieLensLatest } from "../data/movielens";
import { importDataset, type ImportOptions } from "../import/import-dataset";
import { formatSummary } from "../import/import-summary";
import { publishIndex } from "../publish/publish-index";
import { redisSeededDigests, seedHistories } from "../publish/seed-histories";
import { erasedCheckOf, erasureListOf, leaveOutErasedRows } from "../ingest/erasures";
import { redisClient } from "../ingest/redis-client";
import {
  checkErasureKey,
  checkStateDataset,
  claimStateDir,
  DEFAULT_STATE_DIR,
  importedStateDir,
  localSecrets,
  recordStateDataset,
  redisDirOf,
} from "./local-state";
import { buildInWorker, type RunningBuild } from "./build-in-worker";
import { type LocalStack, startLocalStack } from "./local-stack";
import { runExamples, shellSingleQuoted, urlComponent } from "./run-examples";
import { assertPortFree } from "./free-port";
import { PROJECT_ROOT } from "./wrangler";
import { playgroundUrl } from "../../../playground/src/fragment";

/** Versions `npm start` keeps in its output directory, the one it serves among them. */
const KEPT_VERSIONS = 3;

/** The demo's tuning budget under `npm start`, in CPU s: a quick start over a full walk. */
const DEMO_TUNE_SECONDS = 30;

/**
 * `npm start`: starts the local stack on the state kept from earlier runs
 * (local-state.ts), builds the demo index (or one from an imported log)
 * without the rows of users erased so far, publishes it through the Worker's
 * admin API, seeds the data's users' histories into their sessions (those
 * whose history changed since the last seeding) and serves until Ctrl-C,
 * which stops everything this started.
 */
export async function runDev(options: {
  port: number;
  import?: ImportOptions;
  tuneSeconds?: number;
  stateDir?: string;
  out?: string;
  ranker: boolean | "always";
}): Promise<void> {
  // Every line of a message carries the prefix (a carve's description puts its WARNING on a line of its own).
  const log = (line: string) => console.log(line.replace(/^/gm, "[start] "));
  // Before anything else, the import of a large log included: a port another stack holds (whose Worker would answer
  // this run's readiness check, so that the run would build, then publish to a stack it did not start) refuses the
  // run at once, and touches nothing.
  await assertPortFree(options.port);
  const imported = options.import ? await importDataset(options.import) : null;
  for (const line of imported ? formatSummary(imported.summary) : []) log(line);
  const source = options.import?.interactions ?? join(PROJECT_ROOT, "data", "ml-latest-small");
  const dataset = imported?.dataset ?? (await readMovieLensLatest(source));
  // Each data file keeps its own state by default, so trying your log after the demo mixes nothing.
  const stateDir = options.stateDir ?? (options.import ? importedStateDir(options.import.interactions) : DEFAULT_STATE_DIR);
  const release = await claimStateDir(stateDir, log);

  // From here on, whatever ends the run (an error, Ctrl-C, wrangler dying) stops what it started, once, and gives the
  // directory back; a signal during the stack's start waits for it, so nothing it spawned is orphaned.
  // The build runs on a thread of its own (build-in-worker.ts), so a signal is handled at once, not when training ends.
  let starting: Promise<LocalStack> | null = null;
  let started: LocalStack | null = null;
  // Set only while the build runs: a Ctrl-C once it finished does not stop a build.
  let building: RunningBuild | null = null;
  let stopping: Promise<void> | null = null;
  let signalled = false;
  const stopAll = () =>
    (stopping ??= (async () => {
      await building?.stop();
      const up = await starting?.catch(() => null);
      await up?.stop();
      await release();
    })());
  const onSignal = () => {
    // Once: a Ctrl-C may come twice (from the terminal, and relayed by tsx's wrapper).
    if (signalled) return;
    signalled = true;
    // Only what runs: the build while it does, the stack's parts once it started (Redis may be off).
    const parts = building ? ["the build"] : [];
    if (started) parts.push("wrangler dev", ...(started.redis ? ["bridge", "redis-server"] : []));
    else if (starting) parts.push("the stack being started");
    log(parts.length > 1 ? `stopping ${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}` : `stopping ${parts[0] ?? ""}`.trim());
    void stopAll().then(() => process.exit(0));
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);

  let stack: LocalStack;
  let built: BuildResult;
  try {
    await checkStateDataset(stateDir, source);
    const { secrets, created, persist } = await localSecrets(stateDir, log);
    // The stack starts first: its Redis, kept in the state directory with the erasure key its list is tagged under,
    // holds the users erased in earlier runs, and the build leaves their rows out as a build with Redis access does.
    starting = startLocalStack({
      port: options.port,
      persistTo: stateDir,
      redis: "optional",
      persistentRedis: true,
      redisDir: redisDirOf(stateDir),
      erasureKey: secrets.erasureKey,
      adminKey: process.env.SECRET_KEY || undefined,
      log,
    });
    stack = started = await starting;
    const dev = stack.dev;
    dev.child.on("exit", (code) => {
      if (stopping) return;
      console.error(`[start] wrangler dev exited (${code}):\n${dev.output().slice(-4000)}`);
      void stopAll().then(() => process.exit(1));
    });
    const redis = stack.redis && { url: stack.redis.url, token: stack.redis.token };
    const list = await erasureListOf(redis, stack.erasureKey);
    if (redis && list) {
      // A new key is kept only once it fits the kept Redis: else the users erased under the old one would come back.
      await checkErasureKey(redisClient(redis), stateDir, secrets.erasureKey, created, list.record.erasedUsers);
      await persist();
    }
    log(`local state (D1, Durable Objects, KV${redis ? ", Redis, the erasure key" : ""}) kept in ${stateDir} between runs`);
    await leaveOutErasedRows(dataset, list, log);
    // The demo tunes for 30 CPU s so it starts quickly. Your own log gets `index-builder build`'s budget, so the index
    // served is the one a build of the same data would publish, not a walk cut wherever 30 s fell. On the synthetic
    // play log as Last.fm-shaped .dat files (bench/lib/synthetic-plays.ts), 30 s served a light order at validation
    // nDCG@10 0.1488 (iALS left at its start point, 0.1374); the whole walk, 187 CPU s, reaches 0.1617 (iALS 0.1606).
    const budgetSeconds = options.tuneSeconds ?? (imported ? DEFAULT_TUNE.budgetSeconds : DEMO_TUNE_SECONDS);
    log(
      budgetSeconds === 0
        ? "tuning off (--tune-seconds 0): the start point is built"
        : `tuning on validation for up to ${budgetSeconds} CPU s (it stops when its grid is done; --tune-seconds N to change)`,
    );
    const outDir = options.out ?? join(PROJECT_ROOT, ".index");
    building = buildInWorker(
      { dataset, outDir, options: { tune: tuneBudget(budgetSeconds), importSummary: imported?.summary, erasureList: list?.record, ranker: options.ranker } },
      log,
    );
    built = await building.result;
    building = null;
    await publishIndex(built.dir, { url: stack.url, adminKey: stack.adminKey, log });
    // Each run writes a whole version: without this, a directory of them grows by one every start.
    const pruned = await pruneVersions(outDir, KEPT_VERSIONS);
    if (pruned.length > 0) log(`removed ${pruned.length} older version(s) from ${outDir}; the newest ${KEPT_VERSIONS} stay`);
    // The data's users are known users: their first list is already theirs, not the cold-start one. The list is read
    // again just before, as the pipeline's seeding does.
    const erased = await erasedCheckOf(redis, stack.erasureKey);
    await seedHistories(dataset, built.dir, { url: stack.url, adminKey: stack.adminKey, log, erased, digests: redis ? redisSeededDigests(redis) : undefined });
    await recordStateDataset(stateDir, source);
  } catch (err) {
    await stopAll();
    // A signal ended the run (the stopped build rejects): the signal's handler exits, with nothing to report.
    if (signalled) return;
    throw err;
  }
  const u = stack.url;
  const origin = stack.origins[0]!;
  // The data's own users and items, so the examples work on an imported log as on the demo (users 1, 2 and 3).
  const examples = runExamples(dataset);
  const user = examples.users[0]!;
  const token = await stack.userToken(user, 24 * 3600);
  const playgroundUsers = await Promise.all(examples.users.map(async (userId) => ({ userId, token: await stack.userToken(userId, 24 * 3600) })));
  const playground = playgroundUrl(u, { publishableKey: stack.publishableKey, users: playgroundUsers });
  const browser = `-H 'X-Api-Key: ${stack.publishableKey}' -H 'Origin: ${origin}'`;
  const event = JSON.stringify({ events: [{ eventId: "e1", userId: user, itemId: examples.itemId, type: "click", timestamp: Date.now() }] });
  console.log(`
Edge recommender is serving on ${u}  (Ctrl-C stops everything)

Playground, signed in as users ${examples.users.join(", ")} of the data (the link carries this run's key and their tokens; keep it local):
  ${playground}

Keys of this run (docs/security.md says what each may do):
  publishable key (browsers, from ${stack.origins.join(" or ")}): ${stack.publishableKey}
  secret key (servers and /admin; the Worker stores only its SHA-256): ${stack.adminKey}
  token for user ${user}, valid 24 h (your backend signs these with USER_TOKEN_SECRETS):
    ${token}
  more tokens: USER_TOKEN_SECRETS='${stack.tokenKey.kid}:${stack.tokenKey.secret}' npm run index-builder -- token --user '${shellSingleQuoted(examples.users[1] ?? user)}'
  erasure key (the builder's ingest needs it to scrub erased users; kept in ${stateDir}): ERASURE_KEY='${stack.erasureKey}'${
    stack.redis
      ? `
  the event stream as the publication pipeline reads it (README "Publication from CI"):
    UPSTASH_REDIS_REST_URL='${stack.redis.url}' UPSTASH_REDIS_REST_TOKEN='${stack.redis.token}'`
      : ""
  }

  curl ${u}/health/live
  curl -H 'Authorization: Bearer ${stack.adminKey}' ${u}/health
  curl ${browser} -H 'Authorization: Bearer ${token}' \\
    '${u}/v1/recommendations?user_id=${urlComponent(user)}&surface=home&limit=10'
  curl ${browser} '${u}/v1/items/${urlComponent(examples.itemId)}'
  curl ${browser} -H 'Authorization: Bearer ${token}' -X POST ${u}/v1/events -H 'Content-Type: application/json' \\
    -d '${shellSingleQuoted(event)}'
  curl ${browser} -X POST ${u}/v1/anonymous

Index version ${built.version}; Redis ${stack.redis ? `on (${stack.redis.url})` : "OFF: install redis-server to enable trending counters"}.
`);
}
