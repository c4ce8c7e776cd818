import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildIndex } from "./build/build-index";
import { type Dataset, readMovieLensLatest } from "./data/movielens";
import { DEFAULT_TUNE, parseTuneSeconds, tuneBudget } from "./build/tune-on-validation";
import { importDataset } from "./import/import-dataset";
import { IMPORT_ARGS, IMPORT_USAGE, importOptionsFrom } from "./import/import-args";
import { VECTOR_ARGS, VECTOR_USAGE, vectorImportFrom } from "./import/vector-args";
import { formatSummary, type ImportSummary } from "./import/import-summary";
import { DEFAULT_POPULARITY } from "./build/popularity";
import { runDev } from "./local/dev";
import { PROJECT_ROOT } from "./local/wrangler";
import { ingestFromRedis, readLiveEvents, toInteraction } from "./ingest/redis-stream";
import { earliestRead, erasedCheckOf, erasureListOf, leaveOutErasedRows, scrubBeforeBuild } from "./ingest/erasures";
import { redisSeededDigests, seedHistories } from "./publish/seed-histories";
import { publishIndex } from "./publish/publish-index";
import { experimentReportCommand, opeCommand, parsePolicy } from "./experiments/experiment-commands";
import { PUBLICATION_COMMANDS, PUBLICATION_USAGE, runPublicationCommand } from "./pipeline/cli-commands";
import { signUserToken } from "../../shared/auth/user-token";
import { rankerMode } from "./cli-options";

const USAGE = `index-builder <command> [options]

Commands:
  import    Read an interaction log (and item file), check every row, print a summary
${IMPORT_USAGE.replace(/^/gm, "          ")}
  build     Build an index version from a MovieLens "latest" directory, or from --interactions (options as import)
            --data DIR          dataset directory (default data/ml-latest-small)
            --out DIR           index output directory (default .index)
            --half-life-days N  popularity decay half-life (default ${DEFAULT_POPULARITY.halfLifeDays})
            --events FILE       also train on live events read by ingest
                                With $UPSTASH_REDIS_REST_URL/_TOKEN (or --redis-url/--token) and $ERASURE_KEY, erased
                                users are removed first: from the events file, and their rows from the base data
            --tune-seconds N    CPU-seconds budget of tuning on validation (default ${DEFAULT_TUNE.budgetSeconds}; 0 builds untuned)
            --ranker MODE       auto (ship the heavy ranker only when it beats the light
                                order on validation; default), always (ship it anyway, e.g.
                                to test it online), off
            --title-base DIR    a built version (the live one): its title pages stay where their titles
                                did not change, changed titles go to one titles-patch blob
${VECTOR_USAGE.replace(/^/gm, "          ")}
  publish   Publish a built version through the Worker's admin API
            --dir DIR           version directory (default: the one .index/LATEST names)
            --url URL           Worker base URL (default http://127.0.0.1:8787)
            --admin-key KEY     a secret key (default: $SECRET_KEY; prefer the environment,
                                a command line is visible to every local user)
            --batch-blobs N     blobs per upload request (default and most 100)
  seed-histories  Put every user's history from the data a version was built from into their session
            (POST /admin/histories), so a known user's first list is already theirs; weighed as that
            version trained (its manifest's transform). Data as build: --data DIR, or --interactions
            and the import options. A history is replaced whole: run it again after every publication.
            --dir DIR           version directory (default: the one .index/LATEST names)
            --url URL           Worker base URL (default http://127.0.0.1:8787)
            --admin-key KEY     a secret key (default: $SECRET_KEY)
                                With $UPSTASH_REDIS_REST_URL/_TOKEN (or --redis-url/--token) and $ERASURE_KEY,
                                erased users' rows from before their erasure are left out, and only users
                                whose history changed since the last seeding are sent (a digest per user
                                in Redis, deleted with the user on erasure).
            --all               send every user, changed or not (after the sessions lost their data)
  ingest    Read new events from the Redis event stream into a JSON Lines file
            --from-redis        (the only source so far)
            --url URL --token T Upstash REST URL and token (default: $UPSTASH_REDIS_REST_URL/_TOKEN;
                                prefer the environment for the token)
            --out FILE          events file (default .index/live-events.jsonl)
            --cursor FILE       cursor file (default .index/live-events.cursor)
                                Users erased since the last run are removed from the file first; this
                                needs $ERASURE_KEY (the Worker's secret) once anyone was erased.
  token     Sign a user token as a customer's backend would (for trying the API)
            --user ID           the user id (sub)
            --ttl S             seconds until it expires (default 3600, at most 86400)
            The secret comes from $USER_TOKEN_SECRETS (kid:secret, the first entry) and
            the audience from $TOKEN_AUDIENCE (default edge-recommender), never from argv.
  start     Build the demo index (or one from --interactions, options as import), start Redis + bridge + wrangler dev, publish, serve
            --port N            port for wrangler dev (default 8787)
            --tune-seconds N    CPU-seconds budget of tuning (default 30 for the demo, for quick starts;
                                ${DEFAULT_TUNE.budgetSeconds} for --interactions, as build); 0 builds untuned
            --ranker MODE       as build (default auto)
            --out DIR           index output directory (default .index)
            --state-dir DIR     where D1, Durable Objects, KV, Redis and the erasure key are kept between
                                runs (default .wrangler/state for the demo, .wrangler/state-<name>-<digest>
                                for --interactions; one data file per directory; delete it to start afresh)
  experiment-report  An experiment's report (markdown + JSON) from Redis, per variant, region and pooled
            --id ID             experiment id
            --url URL           Worker base URL, for the definition (default http://127.0.0.1:8787)
            --admin-key KEY     a secret key (default: $SECRET_KEY)
            --redis-url U --token T  Upstash REST URL and token (default: $UPSTASH_REDIS_REST_URL/_TOKEN)
            --out DIR           output directory (default .index/reports)
  ope       Off-policy estimates (IPS, SNIPS, DR, bootstrap CIs, ESS) of candidate policies from the logs
            --policy P          epsilon:RATE, softmax:TEMPERATURE:TOPN[:FROM] or index:DIR (a built version,
                                the logged contexts replayed through its funnel; the versions that served
                                the logs are looked up beside it and must reproduce 99% of logged
                                positions, else its estimates are withheld); repeatable
            --experiment ID [--variant V]  only that experiment's (variant's) exposures
            --redis-url U --token T  as above
            --bootstrap N       bootstrap rounds (default 500)
            --out DIR           output directory (default .index/reports)
${PUBLICATION_USAGE}`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command && PUBLICATION_COMMANDS.has(command)) return runPublicationCommand(command, rest);
  const log = (line: string) => console.log(line);
  const { values } = parseArgs({
    args: rest,
    options: {
      data: { type: "string" },
      out: { type: "string" },
      "half-life-days": { type: "string" },
      dir: { type: "string" },
      url: { type: "string" },
      "admin-key": { type: "string" },
      port: { type: "string" },
      events: { type: "string" },
      "from-redis": { type: "boolean" },
      token: { type: "string" },
      cursor: { type: "string" },
      id: { type: "string" },
      "redis-url": { type: "string" },
      policy: { type: "string", multiple: true },
      experiment: { type: "string" },
      variant: { type: "string" },
      bootstrap: { type: "string" },
      ...IMPORT_ARGS,
      ...VECTOR_ARGS,
      "tune-seconds": { type: "string" },
      all: { type: "boolean" },
      "title-base": { type: "string" },
      user: { type: "string" },
      ttl: { type: "string" },
      ranker: { type: "string" },
      "state-dir": { type: "string" },
      "batch-blobs": { type: "string" },
    },
  });
  /** Upstash access from --redis-url/--token, else $UPSTASH_REDIS_REST_URL/_TOKEN; null when either is missing. */
  const optionalRedisAccess = () => {
    const url = values["redis-url"] ?? process.env.UPSTASH_REDIS_REST_URL;
    const token = values.token ?? process.env.UPSTASH_REDIS_REST_TOKEN;
    return url && token ? { url, token } : null;
  };
  const redisAccess = () => {
    const access = optionalRedisAccess();
    if (!access) throw new Error(`${command} needs --redis-url and --token (or $UPSTASH_REDIS_REST_URL/_TOKEN)`);
    return access;
  };
  const reportsDir = resolve(values.out ?? join(PROJECT_ROOT, ".index", "reports"));
  switch (command) {
    case "import": {
      const { summary } = await importDataset(importOptionsFrom(values));
      for (const line of formatSummary(summary)) log(line);
      return;
    }
    case "build": {
      let importSummary: ImportSummary | undefined;
      let dataset: Dataset;
      if (values.interactions) {
        ({ dataset, summary: importSummary } = await importDataset(importOptionsFrom(values)));
        for (const line of formatSummary(importSummary)) log(line);
      } else dataset = await readMovieLensDir(values.data);
      const redis = optionalRedisAccess();
      const list = await erasureListOf(redis, process.env.ERASURE_KEY);
      await leaveOutErasedRows(dataset, list, log);
      // What the manifest records as honoured (the erasure receipt reads it): the list's earliest read, none without Redis.
      let erasureList = list?.record;
      if (values.events) {
        if (redis) {
          const scrub = await scrubBeforeBuild(resolve(values.events), redis, process.env.ERASURE_KEY);
          log(`removed ${scrub.removed} events of erased users`);
          erasureList = earliestRead(erasureList, scrub.record);
        } else log("no $UPSTASH_REDIS_REST_URL/_TOKEN: the erasure list was not checked (ingest, which checks it, scrubbed the file when it last ran)");
        const live = await readLiveEvents(resolve(values.events));
        dataset.interactions.push(...live.map(toInteraction));
        log(`added ${live.length} live events from ${values.events}`);
      }
      const halfLifeDays = Number(values["half-life-days"] ?? DEFAULT_POPULARITY.halfLifeDays);
      if (!(halfLifeDays > 0)) throw new Error("--half-life-days must be a positive number");
      const tuneSeconds = parseTuneSeconds(values["tune-seconds"] ?? String(DEFAULT_TUNE.budgetSeconds));
      const vectors = await vectorImportFrom(values, log);
      await buildIndex(dataset, resolve(values.out ?? join(PROJECT_ROOT, ".index")), {
        popularity: { ...DEFAULT_POPULARITY, halfLifeDays },
        ranker: rankerMode(values.ranker),
        log,
        tune: tuneBudget(tuneSeconds),
        importSummary,
        erasureList,
        titleBase: values["title-base"] ? resolve(values["title-base"]) : undefined,
        ...(vectors ? { vectors } : {}),
      });
      return;
    }
    case "publish": {
      const adminKey = values["admin-key"] ?? process.env.SECRET_KEY;
      if (!adminKey) throw new Error("publish needs a secret key: $SECRET_KEY (or --admin-key)");
      const dir = values.dir ? resolve(values.dir) : await latestDir(join(PROJECT_ROOT, ".index"));
      const batchBlobs = Number(values["batch-blobs"] ?? 100);
      if (!Number.isInteger(batchBlobs) || batchBlobs < 1 || batchBlobs > 100) throw new Error("--batch-blobs must be an integer from 1 to 100");
      await publishIndex(dir, { url: values.url ?? "http://127.0.0.1:8787", adminKey, batchBlobs, log });
      return;
    }
    case "seed-histories": {
      const adminKey = values["admin-key"] ?? process.env.SECRET_KEY;
      if (!adminKey) throw new Error("seed-histories needs a secret key: $SECRET_KEY (or --admin-key)");
      const dir = values.dir ? resolve(values.dir) : await latestDir(join(PROJECT_ROOT, ".index"));
      const dataset = values.interactions ? (await importDataset(importOptionsFrom(values))).dataset : await readMovieLensDir(values.data);
      const redis = optionalRedisAccess();
      const erased = await erasedCheckOf(redis, process.env.ERASURE_KEY);
      if (!erased) log("no $UPSTASH_REDIS_REST_URL/_TOKEN: the erasure list was not checked; every user in the data is seeded");
      const digests = redis ? redisSeededDigests(redis) : undefined;
      await seedHistories(dataset, dir, { url: values.url ?? "http://127.0.0.1:8787", adminKey, log, erased, digests, all: values.all === true });
      return;
    }
    case "ingest": {
      if (!values["from-redis"]) throw new Error("ingest needs a source: --from-redis");
      const url = values.url ?? process.env.UPSTASH_REDIS_REST_URL;
      const token = values.token ?? process.env.UPSTASH_REDIS_REST_TOKEN;
      if (!url || !token) throw new Error("ingest --from-redis needs --url and --token (or $UPSTASH_REDIS_REST_URL/_TOKEN)");
      const report = await ingestFromRedis({
        url,
        token,
        outFile: resolve(values.out ?? join(PROJECT_ROOT, ".index", "live-events.jsonl")),
        cursorFile: resolve(values.cursor ?? join(PROJECT_ROOT, ".index", "live-events.cursor")),
        log,
      });
      log(
        `ingested ${report.written} events (${report.droppedErased} of erased users dropped, ${report.scrubbed} removed from the file); cursor ${report.cursor ?? "none"}`,
      );
      return;
    }
    case "token": {
      const entry = (process.env.USER_TOKEN_SECRETS ?? "").split(",")[0]!.trim();
      const colon = entry.indexOf(":");
      if (colon <= 0) throw new Error("token needs $USER_TOKEN_SECRETS (kid:secret), as the Worker has it");
      const ttlS = Number(values.ttl ?? 3600);
      if (!values.user || !Number.isInteger(ttlS) || ttlS < 1 || ttlS > 86_400) throw new Error("token needs --user ID and a --ttl from 1 to 86400");
      const nowS = Math.floor(Date.now() / 1000);
      const claims = { sub: values.user, aud: process.env.TOKEN_AUDIENCE || "edge-recommender", exp: nowS + ttlS, iat: nowS };
      log(await signUserToken(claims, { kid: entry.slice(0, colon), secret: entry.slice(colon + 1) }));
      return;
    }
    case "start": {
      const tuneSeconds = values["tune-seconds"] === undefined ? undefined : parseTuneSeconds(values["tune-seconds"]);
      await runDev({
        port: Number(values.port ?? 8787),
        import: values.interactions ? importOptionsFrom(values) : undefined,
        tuneSeconds,
        ranker: rankerMode(values.ranker),
        stateDir: values["state-dir"] ? resolve(values["state-dir"]) : undefined,
        out: values.out ? resolve(values.out) : undefined,
      });
      return;
    }
    case "experiment-report": {
      const adminKey = values["admin-key"] ?? process.env.SECRET_KEY;
      if (!values.id || !adminKey) throw new Error("experiment-report needs --id and a secret key: $SECRET_KEY (or --admin-key)");
      await experimentReportCommand({
        id: values.id,
        workerUrl: values.url ?? "http://127.0.0.1:8787",
        adminKey,
        redis: redisAccess(),
        outDir: reportsDir,
        log,
      });
      return;
    }
    case "ope": {
      const policies = (values.policy ?? ["epsilon:0.05", "epsilon:0.2", "softmax:0.5:10"]).map(parsePolicy);
      const bootstrap = Number(values.bootstrap ?? 500);
      if (!Number.isInteger(bootstrap) || bootstrap < 10) throw new Error("--bootstrap must be an integer of at least 10");
      await opeCommand({ redis: redisAccess(), policies, experiment: values.experiment, variant: values.variant, outDir: reportsDir, bootstrap, log });
      return;
    }
    default:
      console.log(USAGE);
      if (command !== undefined && command !== "help" && command !== "--help") process.exitCode = 2;
  }
}

/** `--data`, default the demo's directory. */
function readMovieLensDir(data: string | undefined): Promise<Dataset> {
  return readMovieLensLatest(resolve(data ?? join(PROJECT_ROOT, "data", "ml-latest-small")));
}

async function latestDir(outDir: string): Promise<string> {
  const version = (await readFile(join(outDir, "LATEST"), "utf8").catch(() => "")).trim();
  if (!version) throw new Error(`no built index in ${outDir}; run the build command first`);
  return join(outDir, version);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`index-builder: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
