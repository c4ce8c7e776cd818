import { mkdir, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type IalsOptions } from "../train/implicit-als";
import { selectRows } from "../train/interaction-table";
import { ML_100K_DIR, REPO_ROOT } from "./dataset-paths";
import { evaluateRecommender } from "./evaluate";
import { IalsRecommender } from "./ials-recommender";
import { MSR_IALS, TIME_IALS, VALIDATION_SEED } from "./tuned-params";
import { msrStratifiedSplit, TEST } from "./msr-split";
import { loadSplit, MSR_RATIO, TIME_TEST_FRACTION } from "./protocols";
import { perUserTimeSplit } from "./time-split";

/**
 * Scores iALS configurations on a validation split carved from the
 * training rows only, never the test rows: for `msr`, the same per-item
 * stratified procedure (ratio 0.75, seed VALIDATION_SEED); for `time`, each
 * user's most recent 20% of training rows. `--grid` takes a JSON array of
 * option overrides on top of the protocol's current choice.
 *
 *   npm run eval:tune-ials -- --protocol msr --grid '[{"alpha":1},{"alpha":2}]'
 */
async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { dataset: { type: "string" }, protocol: { type: "string" }, grid: { type: "string" }, out: { type: "string" } },
  });
  const protocol = values.protocol === "time" ? "time" : "msr";
  const split = await loadSplit(resolve(values.dataset ?? (protocol === "msr" ? ML_100K_DIR : resolve(REPO_ROOT, "data", "ml-latest-small"))), protocol);
  const inner = protocol === "msr" ? msrStratifiedSplit(split.train, MSR_RATIO, VALIDATION_SEED) : perUserTimeSplit(split.train, TIME_TEST_FRACTION);
  const base = protocol === "msr" ? MSR_IALS : TIME_IALS;
  const fitRows = selectRows(split.train, inner, 0);
  const validRows = selectRows(split.train, inner, TEST);
  const grid = JSON.parse(values.grid ?? "[{}]") as Partial<IalsOptions>[];
  const results = [];
  for (const overrides of grid) {
    const options = { ...base, ...overrides };
    const r = await evaluateRecommender(new IalsRecommender(options), fitRows, validRows);
    const row = { ...overrides, valid_ndcg_at_10: round(r.metrics.ndcgAtK), valid_map: round(r.metrics.map), fit_seconds: round(r.fitMs / 1000) };
    results.push({ options, ...row });
    console.log(JSON.stringify(row));
  }
  const out = resolve(values.out ?? resolve(REPO_ROOT, "bench", "results"));
  await mkdir(out, { recursive: true });
  const file = resolve(out, `tune-ials-${split.dataset}-${protocol}.json`);
  await writeFile(file, `${JSON.stringify({ protocol, results }, null, 2)}\n`);
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
