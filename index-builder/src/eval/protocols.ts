import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { readMovieLensLatest } from "../data/movielens";
import { type InteractionTable, selectRows, tableFromRows } from "../train/interaction-table";
import { readMl100k } from "./ml-100k";
import { readMl100kItems } from "./ml-100k-items";
import { msrStratifiedSplit, TEST } from "./msr-split";
import { perUserTimeSplit } from "./time-split";

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
}

/** The MSR split's parameters (BASELINES.md §A). */
export const MSR_RATIO = 0.75;
export const MSR_SEED = 42;
/** The time protocol tests on each user's most recent 20% of rows. */
export const TIME_TEST_FRACTION = 0.2;

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
  const mask = perUserTimeSplit(table, TIME_TEST_FRACTION);
  return {
    dataset,
    protocol,
    train: selectRows(table, mask, 0),
    test: selectRows(table, mask, TEST),
    items: data.items,
    description:
      `per-user temporal split: each user's most recent ${TIME_TEST_FRACTION * 100}% of rows (round, at least 1; ties by file order) test, the rest train; ` +
      "every test rating is relevant; full ranking over all movies with training items removed.",
  };
}

function requireFile(dir: string, file: string, why: string): void {
  if (!existsSync(join(dir, file))) throw new DatasetMissingError(`dataset not found: ${join(dir, file)} does not exist (${why})`);
}
