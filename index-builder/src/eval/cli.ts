import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "./dataset-paths";
import { evaluateRecommender } from "./evaluate";
import { modelLineup } from "./models";
import { DatasetMissingError, loadSplit, type ProtocolName } from "./protocols";
import { type ReportRow, toRow, writeReport } from "./report";
import { TUNING_NOTES } from "./tuned-params";

const USAGE = `npm run eval -- --dataset DIR --protocol msr|time [--out DIR] [--models a,b]

  --protocol msr   MovieLens-100K (u.data), MS Recommenders split (BASELINES.md §A)
  --protocol time  MovieLens 'latest' (ratings.csv), per-user temporal split: last 20% of each user test
  --out DIR        where eval-<dataset>-<protocol>.{json,md} go (default bench/results)
  --models LIST    only these report rows (names as in the report)`;

/** SAR must reproduce the published MSR row to 6 decimals before anything else is trusted. */
const SAR_PUBLISHED = { map: 0.114038, ndcg_at_10: 0.393819, precision_at_10: 0.340615, recall_at_10: 0.185377 };

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { dataset: { type: "string" }, protocol: { type: "string" }, out: { type: "string" }, models: { type: "string" } },
  });
  const protocol = values.protocol;
  if (!values.dataset || (protocol !== "msr" && protocol !== "time")) {
    console.error(USAGE);
    return 2;
  }
  const split = await loadSplit(resolve(values.dataset), protocol as ProtocolName);
  console.log(`${split.dataset} / ${split.protocol}: ${split.train.users.length} train rows, ${split.test.users.length} test rows`);
  const only = values.models?.split(",");
  const rows: ReportRow[] = [];
  const notes: string[] = [...TUNING_NOTES[split.protocol]];
  for (const model of modelLineup(split.protocol, split.items)) {
    if (only && !only.includes(model.name)) continue;
    const result = await evaluateRecommender(model, split.train, split.test);
    const row = toRow(model.name, model.params, result.metrics, result.fitMs);
    const stats = model.stats?.();
    if (stats && Object.keys(stats).length > 0) row.stats = stats;
    rows.push(row);
    console.log(`${row.model.padEnd(14)} map ${row.map.toFixed(6)}  ndcg@10 ${row.ndcg_at_10.toFixed(6)}  p@10 ${row.precision_at_10.toFixed(6)}  r@10 ${row.recall_at_10.toFixed(6)}  cov ${row.coverage.toFixed(4)}  fit ${row.fit_seconds}s${row.stats ? `  ${JSON.stringify(row.stats)}` : ""}`);
  }
  let status = 0;
  const sar = rows.find((r) => r.model === "sar");
  if (split.protocol === "msr" && sar) {
    const exact = (Object.keys(SAR_PUBLISHED) as (keyof typeof SAR_PUBLISHED)[]).every((key) => sar[key] === SAR_PUBLISHED[key]);
    notes.push(exact ? "SAR reproduces the published MS Recommenders row exactly (6 decimals)." : "SAR does NOT reproduce the published row: the harness is wrong.");
    if (!exact) status = 1;
  }
  const paths = await writeReport(resolve(values.out ?? resolve(REPO_ROOT, "bench", "results")), split, rows, notes);
  console.log(notes.filter((n) => n.startsWith("SAR")).join("\n"));
  console.log(`wrote ${paths.join(", ")}`);
  return status;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof DatasetMissingError ? `eval: ${err.message}` : err);
    process.exitCode = 1;
  },
);
