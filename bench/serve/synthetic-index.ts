/**
 * A synthetic catalog of n items grown from the demo data, so that the
 * serving benchmark runs the real funnel at a large scale: each synthetic
 * item copies a random demo item (its "parent": categories, year, title), its
 * vector is the parent's trained vector plus Gaussian noise of 0.25 x that
 * dimension's standard deviation (as bench/ann builds its 1M set), its
 * popularity is the parent's times a log-normal factor, and its co-visitation
 * neighbours are children of the parent's own neighbours. Seeded.
 */
import { join } from "node:path";
import { SeededRandom } from "../../shared/seeded-random";
import { type CatalogItem } from "../../shared/catalog/catalog-item";
import { neighborsOf } from "../../shared/covisit/covisit-lists";
import { buildAnnBlobsInWorkers } from "../../index-builder/src/ann/build-ann-blobs";
import { buildFunnelBlobs } from "../../index-builder/src/build/funnel-blobs";
import { decayedMass, DEFAULT_POPULARITY, popularFromMass } from "../../index-builder/src/build/popularity";
import { trainingTable } from "../../index-builder/src/build/training-table";
import { writeVersion } from "../../index-builder/src/build/write-version";
import { encodePopularBlob } from "../../shared/index-format/popular";
import { readMovieLensLatest } from "../../index-builder/src/data/movielens";
import { buildCovisitation } from "../../index-builder/src/train/covisitation";
import { gramMatrix } from "../../index-builder/src/train/implicit-als";
import { DEMO_IALS, trainIalsOnTable } from "../../index-builder/src/train/train-ials";
import { PROJECT_ROOT } from "../../index-builder/src/local/wrangler";
import { dimensionSpread } from "../lib/vectors";

const NEIGHBOURS = 10;

export interface SyntheticIndex {
  dir: string;
  version: string;
  /** The items given to D1 (the most popular; titles of shown items come from there). */
  catalog: CatalogItem[];
  /** Ids of some well-known items, for request mixes. */
  popularIds: string[];
}

export async function buildSyntheticIndex(n: number, outDir: string, log: (line: string) => void, seed = 7): Promise<SyntheticIndex> {
  const demo = await readMovieLensLatest(join(PROJECT_ROOT, "data", "ml-latest-small"));
  const table = trainingTable(demo);
  const trained = trainIalsOnTable(table, DEMO_IALS);
  const demoCovisit = buildCovisitation(table);
  const demoMass = decayedMass(demo.interactions, DEFAULT_POPULARITY.halfLifeDays);
  const facts = new Map(demo.items.map((item) => [item.itemId, item]));
  const { dims } = trained;
  const parents = trained.itemIds.length;
  log(`demo model ready: ${parents} parent items, ${dims} dims`);

  const sigma = dimensionSpread(trained.itemVectors, dims).map((s) => 0.25 * s);
  const random = new SeededRandom(seed);
  const parentOf = new Uint32Array(n);
  const itemVectors = new Float32Array(n * dims);
  const children: number[][] = Array.from({ length: parents }, () => []);
  for (let i = 0; i < n; i++) {
    const p = random.int(parents);
    parentOf[i] = p;
    children[p]!.push(i);
    for (let d = 0; d < dims; d++) itemVectors[i * dims + d] = trained.itemVectors[p * dims + d]! + sigma[d]! * random.gaussian();
  }
  const itemIds = Array.from({ length: n }, (_, i) => `s${i}`);
  const catalogAll: CatalogItem[] = itemIds.map((itemId, i) => {
    const parent = facts.get(trained.itemIds[parentOf[i]!]!);
    return { itemId, title: `${parent?.title ?? "Item"} #${i}`, categories: parent?.categories ?? [], year: parent?.year ?? null, tags: [], available: true };
  });
  const mass = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const parentMass = demoMass.mass.get(trained.itemIds[parentOf[i]!]!) ?? 0;
    mass.set(itemIds[i]!, (parentMass * Math.exp(0.5 * random.gaussian())) / Math.max(1, n / parents));
  }
  log(`${n} synthetic items`);

  // Co-visitation: children of the parent's neighbours, best neighbours first.
  const offsets = new Uint32Array(n + 1);
  const neighbors = new Uint32Array(n * NEIGHBOURS);
  const scores = new Float32Array(n * NEIGHBOURS);
  let at = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = at;
    const list = neighborsOf(demoCovisit, parentOf[i]!);
    for (let k = 0; k < list.items.length && at - offsets[i]! < NEIGHBOURS; k++) {
      const kids = children[list.items[k]!]!;
      if (kids.length === 0) continue;
      neighbors[at] = kids[random.int(kids.length)]!;
      scores[at] = list.scores[k]!;
      at++;
    }
  }
  offsets[n] = at;
  const covisit = { offsets, neighbors: neighbors.slice(0, at), scores: scores.slice(0, at) };

  const embeddings = {
    ...trained,
    itemIds,
    itemVectors,
    gram: Float32Array.from(gramMatrix(itemVectors, dims)),
    userIds: [],
    userVectors: new Float32Array(0),
  };
  const funnel = buildFunnelBlobs({ items: catalogAll }, embeddings, covisit, mass);
  log(`funnel blobs: ${funnel.blobs.size}`);
  // About 1 MiB shards: a query probes 16 lists, each in its own shard at this scale, so
  // smaller shards mean fewer bytes read, hashed and decoded per query on an isolate's cache miss.
  // Calibrated on the demo users' vectors: the synthetic items live in their space and have no users of their own.
  // Encoding every vector is the long step at 10M: worker threads, one per core.
  const ann = await buildAnnBlobsInWorkers(embeddings, {
    log,
    shardTargetBytes: 1024 * 1024,
    calibration: { queryVectors: trained.userVectors },
    tableRowOf: (id) => funnel.rowOf.get(id)!,
    factsPage: funnel.factsPage,
  });
  const popular = popularFromMass(catalogAll, mass, demoMass.asOfMs);
  const blobs = new Map([["popular", { bytes: encodePopularBlob(popular), contentType: "application/json" }], ...funnel.blobs, ...ann.blobs]);
  const top = [...mass]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 20_000)
    .map(([id]) => Number(id.slice(1)));
  const catalog = top.map((i) => catalogAll[i]!);
  const written = await writeVersion(
    outDir,
    blobs,
    {
      source: { dataset: `synthetic-${n} from ml-latest-small`, newestInteractionAt: new Date(demoMass.asOfMs).toISOString() },
      counts: { items: n, users: 0, interactions: 0, categories: Object.keys(popular.byCategory).length },
      fallbackItemIds: popular.items.slice(0, 200).map((x) => x.itemId),
      ann: ann.section,
      funnel: funnel.section,
    },
    catalog,
    new Date(),
  );
  log(`wrote ${written.version}: ${blobs.size} blobs`);
  return { dir: written.dir, version: written.version, catalog, popularIds: popular.items.slice(0, 500).map((x) => x.itemId) };
}
