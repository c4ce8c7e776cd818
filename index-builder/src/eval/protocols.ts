import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { readMovieLensLatest } from "../data/movielens";
import { type InteractionTable, rowCount, selectRows } from "../train/interaction-table";
import { readMl100k } from "./ml-100k";
import { readMl100kItems } from "./ml-100k-items";
import { msrStratifiedSplit, TEST } from "./msr-split";
import { type CarveReport, describeCarve, reportOf, shareHeldAfterFit, soundCarve } from "./carve-check";
import { type Dataset } from "../data/movielens";
import { type WeightTransform } from "../data/weights";
import { datasetTuningData, type TuningData } from "../build/tune-on-validation";
import { datasetTransform, trainingTable, trainingTableRows } from "../build/training-table";
import { importDataset, type ImportOptions } from "../import/import-dataset";
import { formatSummary } from "../import/import-summary";

export type ProtocolName = "msr" | "time";

/** A dataset split ready for evaluation, with the words the report prints about it. */
export interface EvalSplit {
  dataset: string;
  /** Which protocol made the test rows: `msr` adds the published MS Recommenders rows and SAR's exactness check (a given split is `time`). */
  protocol: ProtocolName;
  /** What the report calls the split, when not its protocol: "given" for test rows read from a file. */
  reportAs?: string;
  train: InteractionTable;
  test: InteractionTable;
  /** The catalogue (genres, years) the funnel's content source and ranking features read; absent when the dataset has none. */
  items: CatalogItem[];
  description: string;
  /** How the test rows were carved, and why (a time split refused for no timestamps says so here). */
  carve: CarveReport;
  /**
   * The training rows with the file's own weights, in `train`'s id space, for a reference row that reproduces
   * a published result on them (SAR on the MSR split fits the raw ratings); absent: `train` is that.
   */
  rawTrain?: InteractionTable;
  /** The training rows as a dataset, and under any weight transform, for the build's tuning on validation. */
  imported: { dataset: Dataset; tuning: TuningData };
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

/**
 * A MovieLens protocol's split, with what the build's tuning needs (`imported`): every choice is then made by
 * the same tuning on a validation carve of the training rows that any imported log gets (cli.ts), not by
 * constants chosen for MovieLens. `msr`: the MS Recommenders split (BASELINES.md §A), handed on as a split
 * given by someone else (test rows not after the training rows, so validation carves at random); `time`: the
 * time protocol of an imported log.
 */
export async function loadSplit(dir: string, protocol: ProtocolName, log: (line: string) => void = (line) => console.log(line)): Promise<EvalSplit> {
  const name = basename(dir);
  if (protocol === "msr") {
    requireFile(dir, "u.data", "the MSR protocol needs MovieLens-100K (u.data)");
    const table = await readMl100k(dir);
    const items = existsSync(join(dir, "u.item")) && existsSync(join(dir, "u.genre")) ? await readMl100kItems(dir) : [];
    const mask = msrStratifiedSplit(table, MSR_RATIO, MSR_SEED);
    // u.data's rows in file order (the split's order), as a ratings log.
    const rows = (side: number): Dataset["interactions"] =>
      Array.from({ length: rowCount(table) }, (_, r) => r)
        .filter((r) => mask[r] === side)
        .map((r) => ({
          userId: table.userIds[table.users[r]!]!,
          itemId: table.itemIds[table.items[r]!]!,
          rating: table.values[r]!,
          timestampMs: table.timestampsSec[r]! * 1000,
        }));
    const train: Dataset = { name, items, interactions: rows(0), weightKind: "ratings" };
    const test: Dataset = { name, items: [], interactions: rows(TEST), weightKind: "ratings" };
    const split = splitOfGiven(train, test, { test: "the MSR test rows", train: "the MSR training rows" }, log);
    return {
      ...split,
      rawTrain: inIdSpace(selectRows(table, mask, 0), split.train),
      protocol,
      reportAs: undefined,
      description:
        `MS Recommenders python_stratified_split(ratio=${MSR_RATIO}, filter_by="item", seed=${MSR_SEED}) as in BASELINES.md §A; ` +
        "every test rating is relevant; full ranking with training items removed; users in both test and predictions. " +
        `Validation: ${split.description}`,
    };
  }
  requireFile(dir, "ratings.csv", "the time protocol needs a MovieLens 'latest' directory (ratings.csv)");
  return splitOfDataset({ ...(await readMovieLensLatest(dir)), name }, log);
}

/**
 * An imported interaction log (import/import-dataset.ts), weighed by its
 * kind, split like the time protocol: each user's most recent 20% test, or
 * a seeded per-user random 20% when its timestamps cannot order rows.
 */
/** An imported log's evaluation: the import's options, and test rows someone else carved (read with the same options) instead of a carve made here. */
export type ImportedSplitOptions = ImportOptions & { test?: string };

export async function loadImportedSplit(options: ImportedSplitOptions, log: (line: string) => void = (line) => console.log(line)): Promise<EvalSplit> {
  if (options.test) return givenSplit(options, options.test, log);
  const { dataset, summary } = await importDataset(options);
  for (const line of formatSummary(summary)) log(line);
  return splitOfDataset(dataset, log);
}

/** A log split like the time protocol (each user's most recent 20% test, or a seeded random 20% when time cannot order rows), with its tuning data. */
function splitOfDataset(dataset: Dataset, log: (line: string) => void): EvalSplit {
  const { table, rowOf } = trainingTableRows(dataset);
  const { split, mask } = timeSplit(dataset.name, table, dataset.items, log);
  // Tuning and its start point see the training rows alone: the weight transforms' grid (ε from pair-count
  // quantiles) is drawn from them, not from the test rows'.
  const training: Dataset = { ...dataset, interactions: dataset.interactions.filter((_, i) => mask[rowOf[i]!] !== TEST) };
  // trainingTable keeps its rows' order under every transform, so the test carve's mask splits them all.
  const tuning = { ...datasetTuningData(training), tableOf: (t: WeightTransform) => selectRows(trainingTable(dataset, t), mask, 0) };
  return { ...split, train: tuning.tableOf(datasetTransform(training)), imported: { dataset: training, tuning } };
}

/** Share of users whose given test rows all come at or after their last training row, from which the given split is taken for a time split. */
export const GIVEN_TIME_SHARE = 0.9;

/**
 * A split someone else made (to score on the very rows another system was
 * scored on): the training rows from `options.interactions`, the test rows
 * from `testFile`, read with the same options. Every test row of a user the
 * training file has is relevant; users only the test file has are left out
 * (no history to rank from: cold start is eval:cold-start's job), items
 * only it has stay relevant, unreachable, as the carve's unseen share says.
 * Validation carves the training rows as the given split looks: by time when
 * nearly every user's test rows follow their training rows, else at random.
 */
async function givenSplit(options: ImportOptions, testFile: string, log: (line: string) => void): Promise<EvalSplit> {
  const { dataset, summary } = await importDataset(options);
  for (const line of formatSummary(summary)) log(line);
  const given = await importDataset({ ...options, interactions: testFile, items: undefined });
  log(`test file: ${formatSummary(given.summary)[0]}`);
  return splitOfGiven(
    dataset,
    given.dataset,
    { test: `the test rows given in ${basename(testFile)}`, train: `the training rows from ${basename(options.interactions)}` },
    log,
  );
}

/** `dataset` (training rows) and `given` (test rows), split as someone else made them; `names` say what each is in the logs and the description. */
function splitOfGiven(dataset: Dataset, given: Dataset, names: { test: string; train: string }, log: (line: string) => void): EvalSplit {
  const catalogue = new Set(dataset.items.map((item) => item.itemId));
  const testOnlyItems = given.items.filter((item) => !catalogue.has(item.itemId));
  dataset.items.push(...testOnlyItems);
  const train = trainingTable(dataset);
  const userIndex = new Map(train.userIds.map((id, i) => [id, i]));
  const itemIndex = new Map(train.itemIds.map((id, i) => [id, i]));
  const pairs = new Map<string, { user: number; item: number; timestampSec: number }>();
  const coldUsers = new Set<string>();
  for (const x of given.interactions) {
    const user = userIndex.get(x.userId);
    if (user === undefined) {
      coldUsers.add(x.userId);
      continue;
    }
    const key = `${user}\u0000${x.itemId}`;
    const timestampSec = x.timestampMs / 1000;
    const pair = pairs.get(key);
    if (pair) pair.timestampSec = Math.max(pair.timestampSec, timestampSec);
    else pairs.set(key, { user, item: itemIndex.get(x.itemId)!, timestampSec });
  }
  const rows = [...pairs.values()];
  // A pair the training rows hold too (a repeat listen across the cut, say) stays relevant, as in any split that
  // keeps repeats, but seen items are never recommended, so nothing can reach it: counted, so the report says so.
  const trained = new Set(Array.from(train.users, (u, r) => u * train.itemIds.length + train.items[r]!));
  const repeats = rows.filter((r) => trained.has(r.user * train.itemIds.length + r.item)).length;
  const test: InteractionTable = {
    userIds: train.userIds,
    itemIds: train.itemIds,
    users: Uint32Array.from(rows, (r) => r.user),
    items: Uint32Array.from(rows, (r) => r.item),
    values: new Float32Array(rows.length).fill(1),
    timestampsSec: Float64Array.from(rows, (r) => r.timestampSec),
  };
  const both = concatTables(train, test);
  const mask = new Uint8Array(both.users.length).fill(TEST, rowCount(train));
  const after = shareHeldAfterFit(both, mask);
  const method = after !== null && after >= GIVEN_TIME_SHARE ? "time" : "random";
  const carve = reportOf(both, mask, method, []);
  const shape =
    after === null
      ? "the rows carry no times that order them, so validation carves each user's training rows at random"
      : `for ${(after * 100).toFixed(1)}% of its users the test rows come at or after the last training row, so it is taken for a ${method === "time" ? "time split and validation carves each user's most recent training rows" : "random split and validation carves each user's training rows at random"}`;
  log(describeCarve(names.test, carve));
  log(`${names.test}: ${shape}`);
  if (coldUsers.size > 0) log(`${names.test}: ${coldUsers.size} users have no training rows and are left out`);
  if (repeats > 0) log(`${names.test}: ${repeats} test pairs are training pairs too; they count as relevant, and no model can reach them`);
  const description =
    `${names.test} (${rows.length} user-item pairs of ${carve.heldOutUsers} users; ` +
    `${coldUsers.size} users with no training rows left out; ${(carve.unseenShare * 100).toFixed(1)}% of pairs on items no training row has; ` +
    `${repeats} pairs the training rows hold too, relevant and unreachable), ` +
    `${names.train}: ${shape}; every test row is relevant; full ranking over all items with training items removed.`;
  return {
    dataset: dataset.name,
    protocol: "time",
    reportAs: "given",
    train,
    test,
    items: dataset.items,
    carve,
    description,
    imported: { dataset, tuning: datasetTuningData(dataset) },
  };
}

/** `b`'s rows after `a`'s; both in the same id spaces. */
function concatTables(a: InteractionTable, b: InteractionTable): InteractionTable {
  const join = <T extends Uint32Array | Float32Array | Float64Array>(x: T, y: T, make: (n: number) => T): T => {
    const out = make(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  return {
    userIds: a.userIds,
    itemIds: a.itemIds,
    users: join(a.users, b.users, (n) => new Uint32Array(n)),
    items: join(a.items, b.items, (n) => new Uint32Array(n)),
    values: join(a.values, b.values, (n) => new Float32Array(n)),
    timestampsSec: join(a.timestampsSec, b.timestampsSec, (n) => new Float64Array(n)),
  };
}

function timeSplit(
  dataset: string,
  table: InteractionTable,
  items: CatalogItem[],
  log: (line: string) => void,
): { split: Omit<EvalSplit, "imported">; mask: Uint8Array } {
  const { mask, report } = soundCarve(table, TIME_TEST_FRACTION, RANDOM_TEST_SEED);
  log(describeCarve("test split", report));
  const rows = `${TIME_TEST_FRACTION * 100}% of rows (round, at least 1)`;
  const split: Omit<EvalSplit, "imported"> = {
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

/** `table`'s rows with `reference`'s user and item ids (which must hold every id `table` uses). */
function inIdSpace(table: InteractionTable, reference: InteractionTable): InteractionTable {
  const userIndex = new Map(reference.userIds.map((id, i) => [id, i]));
  const itemIndex = new Map(reference.itemIds.map((id, i) => [id, i]));
  return {
    userIds: reference.userIds,
    itemIds: reference.itemIds,
    users: Uint32Array.from(table.users, (u) => userIndex.get(table.userIds[u]!)!),
    items: Uint32Array.from(table.items, (i) => itemIndex.get(table.itemIds[i]!)!),
    values: table.values,
    timestampsSec: table.timestampsSec,
  };
}

function requireFile(dir: string, file: string, why: string): void {
  if (!existsSync(join(dir, file))) throw new DatasetMissingError(`dataset not found: ${join(dir, file)} does not exist (${why})`);
}
