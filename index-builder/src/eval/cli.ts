import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "./dataset-paths";
import { evaluateRecommender } from "./evaluate";
import { modelLineup } from "./models";
import { DatasetMissingError, type ImportedSplitOptions, loadImportedSplit, loadSplit, type ProtocolName } from "./protocols";
import { describeCarve } from "./carve-check";
import { randomCarveReason } from "./validation-split";
import { startChoice } from "../build/build-index";
import { DEFAULT_TUNE, tuneOnValidation } from "../build/tune-on-validation";
import { type TuningReport } from "../build/tuning-choice";
import { IMPORT_ARGS, IMPORT_USAGE, importOptionsFrom } from "../import/import-args";
import { type ReportRow, toRow, writeReport } from "./report";
import { FUNNEL, FUNNEL_NOTE } from "./tuned-params";
import { DatasetFormatError } from "../data/movielens";
import { ImportError } from "../import/row-sources";

const USAGE = `npm run eval -- --dataset DIR --protocol msr|time [--out DIR] [--models a,b] [--tune-seconds N]
npm run eval -- --interactions FILE [--items FILE] [--kind plays] [import options] [--tune-seconds N] [--test FILE]

Every split is tuned as a build tunes its data: the weight transform, iALS, co-visitation, light weights and
the order served are chosen on a validation carve of the training rows, never the test rows.

  --protocol msr   MovieLens-100K (u.data), MS Recommenders split (BASELINES.md §A)
  --protocol time  MovieLens 'latest' (ratings.csv), per-user temporal split: last 20% of each user test
                   (a seeded per-user random 20% when timestamps cannot order the rows, said loudly)
  --interactions   any interaction log, imported as 'index-builder import' reads it, split as --protocol time
  --tune-seconds N the tuning budget in CPU s (default the build's)
  --test FILE      with --interactions: score on these test rows (a split made elsewhere, read with the same
                   import options) instead of carving them; --interactions then holds the training rows only
  --out DIR        where eval-<dataset>-<protocol>.{json,md} go (default bench/results, the project's reports;
                   .eval, which git ignores, for --interactions: your log's reports are yours)
  --models LIST    only these report rows (names as in the report)

Import options:
${IMPORT_USAGE}`;

/** SAR must reproduce the published MSR row to 6 decimals before anything else is trusted. */
const SAR_PUBLISHED = { map: 0.114038, ndcg_at_10: 0.393819, precision_at_10: 0.340615, recall_at_10: 0.185377 };

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dataset: { type: "string" },
      protocol: { type: "string" },
      out: { type: "string" },
      models: { type: "string" },
      "tune-seconds": { type: "string" },
      test: { type: "string" },
      ...IMPORT_ARGS,
    },
  });
  const protocol = values.protocol;
  if (!values.interactions && (!values.dataset || (protocol !== "msr" && protocol !== "time"))) {
    console.error(USAGE);
    return 2;
  }
  if (values.test && !values.interactions) {
    console.error("--test FILE needs --interactions FILE (the training rows of the same split)");
    return 2;
  }
  let importOptions: ImportedSplitOptions | undefined;
  try {
    if (values.interactions) importOptions = { ...importOptionsFrom(values), ...(values.test ? { test: resolve(values.test) } : {}) };
  } catch (err) {
    console.error(`eval: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  const split = importOptions ? await loadImportedSplit(importOptions) : await loadSplit(resolve(values.dataset!), protocol as ProtocolName);
  const notes: string[] = [];
  // Validation stands in for test: when the test carve is random, so is every validation carve.
  const randomCarveBecause = randomCarveReason(split.carve);
  // Every split is tuned as an imported log is: the build's own tuning on a validation carve of the training rows.
  const { tuning } = split.imported;
  const budgetSeconds = Number(values["tune-seconds"] ?? DEFAULT_TUNE.budgetSeconds);
  const result = await tuneOnValidation(tuning, startChoice(split.imported.dataset), {
    ...DEFAULT_TUNE,
    budgetSeconds,
    recentLimit: FUNNEL.recentLimit,
    randomCarveBecause,
    log: (line) => console.log(line),
  });
  const tuned = result.choice;
  split.train = tuning.tableOf(tuned.transform);
  notes.push(...importedNotes(result.report), FUNNEL_NOTE);
  if (split.carve.fallbackReasons.length)
    notes.push(`WARNING: the time split is unsound (${split.carve.fallbackReasons.join("; ")}): the test rows are a seeded per-user random carve instead.`);
  if (split.carve.problems.length) notes.push(`WARNING: the test carve is unsound (${split.carve.problems.join("; ")}): these numbers decide nothing.`);
  const validation = result.report.carve;
  console.log(describeCarve("validation carve of the training rows", validation));
  if (validation.fallbackReasons.length)
    notes.push(
      validation.fallbackReasons[0] === randomCarveBecause
        ? `WARNING: validation carves of the training rows are per-user random, though time could carve them: ${randomCarveBecause}.`
        : `WARNING: validation carves of the training rows are per-user random: the time carve is unsound (${validation.fallbackReasons.join("; ")}).`,
    );
  console.log(`${split.dataset} / ${split.reportAs ?? split.protocol}: ${split.train.users.length} train rows, ${split.test.users.length} test rows`);
  const only = values.models?.split(",");
  const rows: ReportRow[] = [];
  for (const model of modelLineup(split.items, tuned, randomCarveBecause)) {
    if (only && !only.includes(model.name)) continue;
    const skip = model.skipReason?.(split.train);
    if (skip) {
      console.log(`${model.name.padEnd(14)} SKIPPED: ${skip}`);
      notes.push(`${model.name} skipped: ${skip}.`);
      continue;
    }
    // SAR reproduces a published row on the file's own ratings; every other model trains on the tuned weights.
    const result = await evaluateRecommender(model, model.name === "sar" && split.rawTrain ? split.rawTrain : split.train, split.test);
    const row = toRow(model.name, model.params, result.metrics, result.fitMs);
    const stats = model.stats?.();
    if (stats && Object.keys(stats).length > 0) row.stats = stats;
    rows.push(row);
    console.log(
      `${row.model.padEnd(14)} map ${row.map.toFixed(6)}  ndcg@10 ${row.ndcg_at_10.toFixed(6)}  p@10 ${row.precision_at_10.toFixed(6)}  r@10 ${row.recall_at_10.toFixed(6)}  cov ${row.coverage.toFixed(4)}  fit ${row.fit_seconds}s${row.stats ? `  ${JSON.stringify(row.stats)}` : ""}`,
    );
  }
  let status = 0;
  const sar = rows.find((r) => r.model === "sar");
  if (split.protocol === "msr" && sar) {
    const exact = (Object.keys(SAR_PUBLISHED) as (keyof typeof SAR_PUBLISHED)[]).every((key) => sar[key] === SAR_PUBLISHED[key]);
    notes.push(
      exact ? "SAR reproduces the published MS Recommenders row exactly (6 decimals)." : "SAR does NOT reproduce the published row: the harness is wrong.",
    );
    if (!exact) status = 1;
  }
  // The repository's reports are MovieLens's; a report on your own log would sit among them as an untracked file.
  const out = values.out ?? resolve(REPO_ROOT, values.interactions ? ".eval" : join("bench", "results"));
  const paths = await writeReport(resolve(out), split, rows, notes, { test: split.carve, validation });
  console.log(notes.filter((n) => n.startsWith("SAR")).join("\n"));
  console.log(`wrote ${paths.join(", ")}`);
  return status;
}

/** Report notes for an imported log: what tuning chose on validation, and from how many trials. */
function importedNotes(report: TuningReport): string[] {
  const c = report.choice;
  return [
    `Every choice was made on a validation carve of the training rows (${report.carve.method}, ${report.carve.heldOutUsers} users), never on test rows; tuning took ${report.spentSeconds} s of a ${report.budgetSeconds} s budget (${report.trials.length} trials${report.budgetCut ? ", cut by the budget" : ""}).` +
      (report.skipped ? ` Tuning was SKIPPED: ${report.skipped}; the start point was used.` : ""),
    `Chosen: weights ${JSON.stringify(c.transform)}; iALS ${JSON.stringify(c.ials)}; co-visitation ${JSON.stringify(c.covisit)}; light ${JSON.stringify({ ...c.light.source, normalize: c.light.normalize ?? "rank", popularity: c.light.popularity })}. Validation nDCG@10 start -> best: iALS ${report.start.ials} -> ${report.best.ials}, co-visitation ${report.start.covisit} -> ${report.best.covisit}, light ${report.start.light} -> ${report.best.light}.`,
    ...(report.lightCheck
      ? [
          `Light weights: the grid's best ${JSON.stringify(report.lightCheck.best)} scored ${report.lightCheck.bestNdcgAt10} against the ANN order's ${report.lightCheck.baselineNdcgAt10}; chosen on one half of the validation users and scored on the other (cross-fitted), its lead was ${report.lightCheck.crossFittedLead}, 95% CI [${report.lightCheck.lo}, ${report.lightCheck.hi}] -> ${report.lightCheck.kept ? "shipped" : "not beyond noise, so the light weights keep the ANN order"}.`,
        ]
      : []),
    "The ials row and the funnel rows train (and the funnel folds in) on the chosen weights, with the chosen iALS options; the funnel with the chosen co-visitation and light weights.",
  ];
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof DatasetMissingError || err instanceof DatasetFormatError || err instanceof ImportError ? `eval: ${err.message}` : err);
    process.exitCode = 1;
  },
);
