import { type IndexManifest } from "../../../shared/index-format/manifest";
import { DEFAULT_LIGHT_WEIGHTS, type LightWeights } from "../../../shared/ranking/light-rank";
import { encodePopularBlob } from "../../../shared/index-format/popular";
import { buildAnnBlobs, buildAnnBlobsInWorkers } from "../ann/build-ann-blobs";
import { buildRanker, DEFAULT_RANKER_BUILD } from "../ranker/build-ranker";
import { type Dataset } from "../data/movielens";
import { buildCovisitation, DEMO_COVISIT } from "../train/covisitation";
import { DEMO_IALS, trainIalsOnTable } from "../train/train-ials";
import { buildFunnelBlobs, DEFAULT_PAGES } from "./funnel-blobs";
import { readTitleBase } from "./title-base";
import { computePopular, decayedMass, DEFAULT_POPULARITY, type PopularityOptions } from "./popularity";
import { datasetTransform, trainingTable } from "./training-table";
import { describeRemovedStaging, removeStaleStaging, writeVersion } from "./write-version";
import { describeTransform } from "../data/weights";
import { describeCarve, soundCarve } from "../eval/carve-check";
import { type ImportSummary } from "../import/import-summary";
import { datasetTuningData, DEFAULT_TUNE, type TuneOptions, tuneOnValidation } from "./tune-on-validation";
import { type TunedChoice, type TuningReport } from "./tuning-choice";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { placeColdItems } from "./cold-items";
import { orderSource, type RankingOrder, sourceOrderWeights } from "../../../shared/ranking/ranking-order";
import { CONTENT_MODEL_BLOB, encodeContentModel } from "../../../shared/embeddings/content-model-blob";
import { importedEmbeddings, type VectorImport, type VectorImportReport } from "./imported-embeddings";

/** Items from which the ANN vectors are encoded in worker threads. */
const PARALLEL_ENCODE_ITEMS = 500_000;

/**
 * Light-ranker weights for users with a vector on the demo data, chosen on
 * its time-split validation rows (docs/movielens-hand-tuning.md, TIME_FUNNEL: 0.1358
 * against 0.1305 for the Worker's WARM_LIGHT_WEIGHTS): scores ranked per
 * source, ANN 1, co-visitation 0.25, popularity 0.03. The build's tuning
 * starts from them (`startChoice`); what it picks is shipped in the manifest.
 */
export const DEMO_LIGHT_WEIGHTS: LightWeights = {
  ...DEFAULT_LIGHT_WEIGHTS,
  source: { ...DEFAULT_LIGHT_WEIGHTS.source, ann: 1, covisit: 0.25, content: 0, popular: 0 },
  popularity: 0.03,
  affinity: 0,
};

/** Length of the bare popular list inlined in the manifest. */
const FALLBACK_SIZE = 200;

export interface BuildResult {
  version: string;
  dir: string;
  manifest: IndexManifest;
}

export interface BuildOptions {
  now?: Date;
  popularity?: PopularityOptions;
  log?: (line: string) => void;
  ann?: boolean;
  /** false: no heavy ranker; "always": ship and serve the trained model whatever validation chose (to test it online); else only when validation chooses it. */
  ranker?: boolean | "always";
  /** Tuning on a validation carve (tune-on-validation.ts); false builds from the start point untuned. */
  tune?: Partial<Omit<TuneOptions, "log">> | false;
  /** What the import read, kept in the manifest's build report. */
  importSummary?: ImportSummary;
  /** The erasure list the data was checked against (ingest/erasures.ts), recorded as the manifest's `erasureList`. */
  erasureList?: IndexManifest["erasureList"];
  /**
   * Item (and user) vectors trained elsewhere, served instead of iALS trained here. Tuning (whose
   * walk retrains iALS) and the heavy ranker (trained on its own iALS candidates) are then off.
   */
  vectors?: VectorImport;
  /**
   * A built version's directory (the live version's, as the pipeline keeps it): title pages equal or
   * nearly equal to its pages keep their bytes, so publication sends them no more (title-blobs.ts).
   */
  titleBase?: string;
}

/**
 * Where tuning starts, and what an untuned build uses: the dataset kind's
 * weight transform, then iALS, co-visitation and light weights first
 * chosen on the demo data (DEMO_IALS, DEMO_COVISIT, DEMO_LIGHT_WEIGHTS).
 */
export function startChoice(dataset: Dataset): TunedChoice {
  return { transform: datasetTransform(dataset), ials: DEMO_IALS, covisit: DEMO_COVISIT, light: DEMO_LIGHT_WEIGHTS };
}

/**
 * Builds one index version into `<outDir>/<version>/`: `blobs/<name>` (the
 * bytes published to KV), `manifest.json`, and `catalog.json` (published to
 * D1). `<outDir>/LATEST` then names the version.
 */
export async function buildIndex(dataset: Dataset, outDir: string, options: BuildOptions = {}): Promise<BuildResult> {
  const log = options.log ?? (() => {});
  const now = options.now ?? new Date();
  // What interrupted builds left in outDir (no live process writes it any more) goes first.
  const stale = await removeStaleStaging(outDir);
  if (stale.length > 0) log(describeRemovedStaging(outDir, stale));
  log(`read ${dataset.items.length} items, ${dataset.interactions.length} interactions from ${dataset.name}`);

  const popularOptions = options.popularity ?? DEFAULT_POPULARITY;
  const popular = computePopular(dataset.items, dataset.interactions, popularOptions);
  const blobs = new Map<string, { bytes: Uint8Array; contentType: string }>([
    ["popular", { bytes: encodePopularBlob(popular), contentType: "application/json" }],
  ]);
  const start = startChoice(dataset);
  let choice = start;
  let tuning: TuningReport | null = null;
  const imported = options.vectors;
  if (imported) log(`item vectors from ${imported.items.file}: tuning and the heavy ranker are off (both retrain iALS here)`);
  if (options.tune !== false && !imported) {
    ({ choice, report: tuning } = await tuneOnValidation(datasetTuningData(dataset), start, { ...DEFAULT_TUNE, ...options.tune, log }));
  }
  log(`weights: ${dataset.weightKind ?? "ratings"} through ${describeTransform(choice.transform)}`);
  // One interaction table for every trainer, so vectors and co-visitation share item indices.
  const table = trainingTable(dataset, choice.transform);
  // The heavy ranker below carves each user's most recent rows, or a random share when time cannot say which those are.
  const carve = tuning?.carve ?? soundCarve(table, DEFAULT_TUNE.fraction, DEFAULT_TUNE.seed).report;
  if (!tuning) log(describeCarve("validation", carve));
  const started = Date.now();
  const fromFiles = imported ? importedEmbeddings(table, imported) : null;
  if (fromFiles) log(describeVectorImport(fromFiles.report));
  const embeddings = fromFiles?.embeddings ?? trainIalsOnTable(table, choice.ials);
  const covisit = buildCovisitation(table, choice.covisit);
  log(`${fromFiles ? "imported vectors" : "trained iALS"} (${embeddings.dims} dims) and co-visitation in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // Items without a vector (nobody interacted with them, or the import had none) get their content vector, so retrieval can find them.
  const content = placeColdItems(dataset, table, embeddings, fromFiles?.trained);
  blobs.set(CONTENT_MODEL_BLOB, { bytes: encodeContentModel(content.model), contentType: "application/json" });
  log(`content model fitted; ${content.placed} item(s) without interactions placed by content`);
  const titleBase = options.titleBase ? readTitleBase(options.titleBase) : null;
  const funnel = buildFunnelBlobs(dataset, embeddings, covisit, decayedMass(dataset.interactions, popularOptions.halfLifeDays).mass, DEFAULT_PAGES, titleBase);
  if (titleBase)
    log(`title pages: ${funnel.titles.keptPages} of ${funnel.section.titlePages} kept from ${options.titleBase}, ${funnel.titles.patchRows} row(s) patched`);
  for (const [name, blob] of funnel.blobs) blobs.set(name, blob);
  // The ANN index over trained item vectors (shared/ann); `ann: false` skips it.
  // Its lists store item-table rows, so the Worker names results from the item table it already holds.
  const annOptions = {
    log,
    tableRows: funnel.tableRows,
    factsPage: funnel.factsPage,
    ...(fromFiles ? { embedding: `imported-${embeddings.dims}` } : {}),
  };
  // Past a few hundred thousand items encoding dominates the ANN build: worker threads then (the same blobs).
  const ann =
    options.ann === false
      ? null
      : embeddings.itemIds.length >= PARALLEL_ENCODE_ITEMS
        ? await buildAnnBlobsInWorkers(embeddings, annOptions)
        : buildAnnBlobs(embeddings, annOptions);
  for (const [name, blob] of ann?.blobs ?? []) blobs.set(name, blob);
  // The heavy ranker (index-builder/src/ranker), trained on its own time split; `ranker: false` skips it.
  // Its candidates come from the served funnel with the light weights this index ships; it learns from the carve the
  // tuner used (time, else per-user random), refused when even that is unsound. `ranker: "always"` ships and serves
  // it whatever validation chose (to test it online).
  const rankerRefused = imported
    ? "item vectors are imported (its candidates would come from iALS trained here)"
    : carve.problems.length > 0 && options.ranker !== "always"
      ? `its validation carve is unsound (${carve.problems.join("; ")})`
      : null;
  if (options.ranker !== false && rankerRefused) log(`WARNING: heavy ranker not built: ${rankerRefused}; the light order is served`);
  if (options.ranker !== false && !rankerRefused && carve.method === "random")
    log("heavy ranker: learns from a per-user random carve (time cannot carve this log); it ships only if it beats the light order beyond noise");
  const rankerOptions = {
    ...DEFAULT_RANKER_BUILD,
    // The tuned iALS, lists and weights (with the ranker split's fewer sweeps), so its candidates are the index's.
    dataset: {
      ...DEFAULT_RANKER_BUILD.dataset,
      lightWeights: choice.light,
      ials: { ...choice.ials, ...DEFAULT_RANKER_BUILD.dataset.ials },
      covisit: choice.covisit,
      transform: choice.transform,
    },
    alwaysShip: options.ranker === "always",
  };
  const ranker = options.ranker === false || rankerRefused ? null : await buildRanker(dataset, rankerOptions, log);
  for (const [name, blob] of ranker?.blobs ?? []) blobs.set(name, blob);
  const users = new Set(dataset.interactions.map((x) => x.userId));
  const { version, dir, manifest } = await writeVersion(
    outDir,
    blobs,
    {
      source: {
        dataset: dataset.name,
        newestInteractionAt: popular.asOf,
        ...(dataset.itemsAsOfMs === undefined ? {} : { itemsAsOf: new Date(dataset.itemsAsOfMs).toISOString() }),
      },
      counts: {
        items: dataset.items.length,
        users: users.size,
        interactions: dataset.interactions.length,
        categories: Object.keys(popular.byCategory).length,
      },
      fallbackItemIds: popular.items.slice(0, FALLBACK_SIZE).map((x) => x.itemId),
      ...(ann ? { ann: ann.section } : {}),
      funnel: funnel.section,
      ranking: servedRanking(ranker?.order ?? null, choice.light),
      ...(options.erasureList ? { erasureList: options.erasureList } : {}),
      build: {
        ...(options.importSummary ? { import: options.importSummary } : {}),
        weights: { kind: dataset.weightKind ?? "ratings", transform: choice.transform, description: describeTransform(choice.transform) },
        validationCarve: carve,
        tuning: tuning ?? { skipped: imported ? "item vectors are imported (the walk retrains iALS)" : "tuning off (tune: false)", choice: null },
        ...(fromFiles ? { vectors: fromFiles.report } : {}),
        ann: ann ? { knobs: "nprobe and shortlist calibrated on the built index for recall@100 ≥ 0.99 against brute force (ann/calibrate-nprobe.ts)" } : null,
        heavyRanker: ranker
          ? { built: true, shipped: ranker.report.shipped, order: ranker.order }
          : { built: false, reason: options.ranker === false ? "ranker: false" : (rankerRefused ?? "too few validation users") },
      },
    },
    dataset.items,
    now,
  );
  await writeFile(join(dir, "build-report.json"), JSON.stringify(manifest.build, null, 2));
  log(`wrote index ${version} to ${dir} (${Object.keys(manifest.blobs).length} blob(s), ${manifest.counts.categories} categories)`);
  return { version, dir, manifest };
}

/**
 * The manifest's ranking: the order the ranker build chose on validation
 * (none built: the light ranker), a single source's order as that source's
 * light weights alone, else the light weights tuned on validation.
 */
function servedRanking(order: RankingOrder | null, light: LightWeights): { light: LightWeights; order: RankingOrder } {
  const source = order ? orderSource(order) : null;
  return { light: source ? sourceOrderWeights(source) : light, order: order ?? "light" };
}

/** One log line on what an import of vectors matched, and how well fold-in reproduces its user vectors. */
export function describeVectorImport(report: VectorImportReport): string {
  const { items, users, foldInAgreement: agreement } = report;
  return (
    `item vectors: ${items.rows} rows of ${items.dims} dims${report.dims !== items.dims ? ` (zero-padded to ${report.dims})` : ""}, ` +
    `${items.matched} matched, ${items.notInCatalog} not in the catalogue, ${items.catalogWithoutVector} catalogue item(s) without a vector` +
    (users ? `; user vectors: ${users.rows} rows, ${users.matched} users of the interactions` : "") +
    (agreement
      ? `; fold-in vs imported user vectors: median cosine ${agreement.medianCosine}, 10th percentile ${agreement.p10Cosine} over ${agreement.users} users`
      : "")
  );
}
