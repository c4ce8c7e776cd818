import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { readMovieLensLatest } from "../data/movielens";
import { type InteractionTable, selectRows, tableFromRows } from "../train/interaction-table";
import { readMl100k } from "./ml-100k";
import { readMl100kItems } from "./ml-100k-items";
import { msrStratifiedSplit, TEST } from "./msr-split";
import { type CarveReport, describeCarve, reportOf, soundCarve } from "./carve-check";
import { type Dataset } from "../data/movielens";
import { type WeightTransform } from "../data/weights";
import { datasetTuningData, type TuningData } from "../build/tune-on-validation";
import { trainingTable } from "../build/training-table";
import { importDataset, type ImportOptions } from "../import/import-dataset";
import { formatSummary } from "../import/import-summary";

export type ProtocolName = "msr" | "time";

/** A dataset split ready for evaluation, with the words the report prints about it. */
export interface EvalSplit {
  dataset: string;
  protocol: ProtocolName;
  train: InteractionTable;
  test: InteractionTable;
  /** The catalogue (genres, years) the funnel's content source and ranking features read; absent when the dataset has none. */
  items: CatalogItem[];
  description: string;
  /** How the test rows were carved, and why (a time split refused for no timestamps says so here). */
  carve: CarveReport;
  /** For an imported log: the dataset and its training rows under any weight transform, for tuning on validation. */
  imported?: { dataset: Dataset; tuning: TuningData };
}

/** The MSR split's parameters (BASELINES.md §A). */
export const MSR_RATIO = 0.75;
export const MSR_SEED = 42;
/** The time protocol tests on each user's most recent 20% of rows. */
export const TIME_TEST_FRACTION = 0.2;
/** Seeds the per-user random test carve when time cannot make one (carve-check.ts). */
export const RANDOM_TEST_SEED = 42;

/** Thrown when the dataset directory is not there; the CLI prints it and exits non-zero. */
export class DatasetMissingError extends Error {}

export async function loadSplit(dir: string, protocol: ProtocolName): Promise<EvalSplit> {
  const dataset = basename(dir);
  if (protocol === "msr") {
    requireFile(dir, "u.data", "the MSR protocol needs MovieLens-100K (u.data)");
    const table = await readMl100k(dir);
    const items = existsSync(join(dir, "u.item")) && existsSync(join(dir, "u.genre")) ? await readMl100kItems(dir) : [];
    const mask = msrStratifiedSplit(table, MSR_RATIO, MSR_SEED);
    return {
      dataset,
      protocol,
      train: selectRows(table, mask, 0),
      test: selectRows(table, mask, TEST),
      items,
      carve: reportOf(table, mask, "msr", []),
      description:
        `MS Recommenders python_stratified_split(ratio=${MSR_RATIO}, filter_by="item", seed=${MSR_SEED}) as in BASELINES.md §A; ` +
        "every test rating is relevant; full ranking with training items removed; users in both test and predictions.",
    };
  }
  requireFile(dir, "ratings.csv", "the time protocol needs a MovieLens 'latest' directory (ratings.csv)");
  const data = await readMovieLensLatest(dir);
  const table = tableFromRows(
    data.interactions.map((x) => ({ userId: x.userId, itemId: x.itemId, value: x.rating ?? 1, timestampSec: x.timestampMs / 1000 })),
    data.items.map((item) => item.itemId),
  );
  return timeSplit(dataset, table, data.items, (line) => console.log(line)).split;
}

/**
 * An imported interaction log (import/import-dataset.ts), weighed by its
 * kind, split like the time protocol: each user's most recent 20% test, or
 * a seeded per-user random 20% when its timestamps cannot order rows.
 */
export async function loadImportedSplit(options: ImportOptions, log: (line: string) => void = (line) => console.log(line)): Promise<EvalSplit> {
  const { dataset, summary } = await importDataset(options);
  for (const line of formatSummary(summary)) log(line);
  const { split, mask } = timeSplit(dataset.name, trainingTable(dataset), dataset.items, log);
  // trainingTable keeps its rows' order under every transform, so the test carve's mask splits them all.
  const tuning = { ...datasetTuningData(dataset), tableOf: (t: WeightTransform) => selectRows(trainingTable(dataset, t), mask, 0) };
  return { ...split, imported: { dataset, tuning } };
}

function timeSplit(dataset: string, table: InteractionTable, items: CatalogItem[], log: (line: string) => void): { split: EvalSplit; mask: Uint8Array } {
  const { mask, report } = soundCarve(table, TIME_TEST_FRACTION, RANDOM_TEST_SEED);
  log(describeCarve("test split", report));
  const rows = `${TIME_TEST_FRACTION * 100}% of rows (round, at least 1)`;
  const split: EvalSplit = {
    dataset,
    protocol: "time",
    train: selectRows(table, mask, 0),
    test: selectRows(table, mask, TEST),
    items,
    carve: report,
    description:
      report.method === "time"
        ? `per-user temporal split: each user's most recent ${rows}; ties by file order) test, the rest train; every test row is relevant; full ranking over all items with training items removed.`
        : `per-user RANDOM split (seed ${RANDOM_TEST_SEED}): each user's ${rows} drawn at random test, the rest train, because the time split is unsound (${report.fallbackReasons.join("; ")}); every test row is relevant; full ranking over all items with training items removed.`,
  };
  return { split, mask };
}

function requireFile(dir: string, file: string, why: string): void {
  if (!existsSync(join(dir, file))) throw new DatasetMissingError(`dataset not found: ${join(dir, file)} does not exist (${why})`);
}
