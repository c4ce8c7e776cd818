import { type IndexManifest } from "../../../shared/index-format/manifest";
import { DEFAULT_LIGHT_WEIGHTS, type LightWeights } from "../../../shared/ranking/light-rank";
import { encodePopularBlob } from "../../../shared/index-format/popular";
import { buildAnnBlobs } from "../ann/build-ann-blobs";
import { buildRanker, DEFAULT_RANKER_BUILD } from "../ranker/build-ranker";
import { encodeRankerSpec, RANKER_BLOBS } from "../../../shared/ranking/onnx-ranker";
import { type Dataset } from "../data/movielens";
import { buildCovisitation, DEMO_COVISIT } from "../train/covisitation";
import { DEMO_IALS, trainIalsOnTable } from "../train/train-ials";
import { buildFunnelBlobs } from "./funnel-blobs";
import { computePopular, decayedMass, DEFAULT_POPULARITY, type PopularityOptions } from "./popularity";
import { trainingTable } from "./training-table";
import { writeVersion } from "./write-version";
import { placeColdItems } from "./cold-items";
import { CONTENT_MODEL_BLOB, encodeContentModel } from "../../../shared/embeddings/content-model-blob";

/**
 * Light-ranker weights for users with a vector on the demo data, chosen on
 * its time-split validation rows (eval/tuned-params.ts TIME_FUNNEL: 0.1358
 * against 0.1305 for the Worker's WARM_LIGHT_WEIGHTS): scores ranked per
 * source, ANN 1, co-visitation 0.25, popularity 0.03. Shipped in the manifest.
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

/**
 * Builds one index version into `<outDir>/<version>/`: `blobs/<name>` (the
 * bytes published to KV), `manifest.json`, and `catalog.json` (published to
 * D1). `<outDir>/LATEST` then names the version.
 */
export async function buildIndex(
  dataset: Dataset,
  outDir: string,
  options: {
    now?: Date;
    popularity?: PopularityOptions;
    log?: (line: string) => void;
    ann?: boolean;
    /** false: no heavy ranker; "always": ship the trained model even when validation prefers the light order (to test it online); else only when it wins. */
    ranker?: boolean | "always";
  } = {},
): Promise<BuildResult> {
  const log = options.log ?? (() => {});
  const now = options.now ?? new Date();
  log(`read ${dataset.items.length} items, ${dataset.interactions.length} interactions from ${dataset.name}`);

  const popularOptions = options.popularity ?? DEFAULT_POPULARITY;
  const popular = computePopular(dataset.items, dataset.interactions, popularOptions);
  const blobs = new Map<string, { bytes: Uint8Array; contentType: string }>([
    ["popular", { bytes: encodePopularBlob(popular), contentType: "application/json" }],
  ]);
  // One interaction table for every trainer, so vectors and co-visitation share item indices.
  const table = trainingTable(dataset);
  const started = Date.now();
  const embeddings = trainIalsOnTable(table, DEMO_IALS);
  // Validated on the demo data's time split (eval/tuned-params.ts): pairs shared by >= 50 users, top 100.
  const covisit = buildCovisitation(table, DEMO_COVISIT);
  log(`trained iALS (${embeddings.dims} dims) and co-visitation in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // Items nobody interacted with get their content vector, so retrieval can find them.
  const content = placeColdItems(dataset, table, embeddings);
  blobs.set(CONTENT_MODEL_BLOB, { bytes: encodeContentModel(content.model), contentType: "application/json" });
  log(`content model fitted; ${content.placed} item(s) without interactions placed by content`);
  const funnel = buildFunnelBlobs(dataset, embeddings, covisit, decayedMass(dataset.interactions, popularOptions.halfLifeDays).mass);
  for (const [name, blob] of funnel.blobs) blobs.set(name, blob);
  // The ANN index over trained item vectors (shared/ann); `ann: false` skips it.
  // Its lists store item-table rows, so the Worker names results from the item table it already holds.
  const ann = options.ann === false ? null : buildAnnBlobs(embeddings, { log, tableRowOf: (id) => funnel.rowOf.get(id)! });
  for (const [name, blob] of ann?.blobs ?? []) blobs.set(name, blob);
  // The heavy ranker (index-builder/src/ranker), trained on its own time split; `ranker: false` skips it.
  // Its candidates come from the served funnel with the light weights this index ships.
  const rankerOptions = { ...DEFAULT_RANKER_BUILD, dataset: { ...DEFAULT_RANKER_BUILD.dataset, lightWeights: DEMO_LIGHT_WEIGHTS } };
  const ranker = options.ranker === false ? null : await buildRanker(dataset, rankerOptions, log);
  if (ranker && !ranker.report.shipped && options.ranker === "always") {
    log("ranker: shipped anyway (--ranker always), though validation prefers the light order");
    blobs.set(RANKER_BLOBS.model, { bytes: ranker.onnx, contentType: "application/octet-stream" });
    blobs.set(RANKER_BLOBS.spec, { bytes: encodeRankerSpec({ ...ranker.spec, validation: { ...ranker.spec.validation, forced: true } }), contentType: "application/json" });
  }
  for (const [name, blob] of ranker?.blobs ?? []) blobs.set(name, blob);
  const users = new Set(dataset.interactions.map((x) => x.userId));
  const { version, dir, manifest } = await writeVersion(
    outDir,
    blobs,
    {
      source: { dataset: dataset.name, newestInteractionAt: popular.asOf },
      counts: {
        items: dataset.items.length,
        users: users.size,
        interactions: dataset.interactions.length,
        categories: Object.keys(popular.byCategory).length,
      },
      fallbackItemIds: popular.items.slice(0, FALLBACK_SIZE).map((x) => x.itemId),
      ...(ann ? { ann: ann.section } : {}),
      funnel: funnel.section,
      ranking: { light: DEMO_LIGHT_WEIGHTS },
    },
    dataset.items,
    now,
  );
  log(`wrote index ${version} to ${dir} (${Object.keys(manifest.blobs).length} blob(s), ${manifest.counts.categories} categories)`);
  return { version, dir, manifest };
}
