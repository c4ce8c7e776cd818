/**
 * A synthetic catalog of n items grown from the demo data, so that the
 * serving benchmark runs the real funnel at a large scale: each synthetic
 * item copies a random demo item (its "parent": categories, year, title), its
 * vector is the parent's trained vector plus Gaussian noise of 0.25 x that
 * dimension's standard deviation (as bench/ann builds its 1M set), its
 * popularity is the parent's times a log-normal factor, and its co-visitation
 * neighbours are children of the parent's own neighbours. Seeded.
 *
 * At 10M items nothing here is an object (or a string) per item but the ids:
 * the items' facts are columns (funnel-blobs.ts `FunnelItems`), titles are
 * made when their page is, and every blob goes to disk as it is made
 * (write-version.ts `VersionWriter`). Each step's log line gives the time
 * since the start and the process's resident memory then and at its peak.
 */
import { join } from "node:path";
import { SeededRandom } from "../../shared/seeded-random";
import { type CatalogItem } from "../../shared/catalog/catalog-item";
import { neighborsOf } from "../../shared/covisit/covisit-lists";
import { buildAnnBlobsInWorkers } from "../../index-builder/src/ann/build-ann-blobs";
import { type FunnelItems, writeFunnelBlobs } from "../../index-builder/src/build/funnel-blobs";
import { decayedMass, DEFAULT_POPULARITY, popularFromOrder } from "../../index-builder/src/build/popularity";
import { trainingTable } from "../../index-builder/src/build/training-table";
import { VersionWriter } from "../../index-builder/src/build/write-version";
import { encodePopularBlob } from "../../shared/index-format/popular";
import { readMovieLensLatest } from "../../index-builder/src/data/movielens";
import { buildCovisitation } from "../../index-builder/src/train/covisitation";
import { gramMatrix } from "../../index-builder/src/train/implicit-als";
import { DEMO_IALS, trainIalsOnTable } from "../../index-builder/src/train/train-ials";
import { PROJECT_ROOT } from "../../index-builder/src/local/wrangler";
import { dimensionSpread } from "../lib/vectors";

const NEIGHBOURS = 10;
/** Items given to D1: the most popular (titles of shown items come from there). */
const CATALOG_ITEMS = 20_000;

export interface SyntheticIndex {
  dir: string;
  version: string;
  /** The items given to D1 (the most popular; titles of shown items come from there). */
  catalog: CatalogItem[];
  /** Ids of some well-known items, for request mixes. */
  popularIds: string[];
  /** Each step of the build: seconds since its start, resident memory then and the peak so far (MiB). */
  steps: { step: string; s: number; rss_mib: number; peak_rss_mib: number }[];
}

export async function buildSyntheticIndex(n: number, outDir: string, log: (line: string) => void, seed = 7): Promise<SyntheticIndex> {
  const started = performance.now();
  const steps: SyntheticIndex["steps"] = [];
  const step = (line: string) => {
    const at = {
      step: line,
      s: Math.round((performance.now() - started) / 100) / 10,
      rss_mib: mib(process.memoryUsage().rss),
      peak_rss_mib: mib(process.resourceUsage().maxRSS * 1024),
    };
    steps.push(at);
    log(`${line} [${at.s} s, RSS ${at.rss_mib} MiB, peak ${at.peak_rss_mib} MiB]`);
  };
  const demo = await readMovieLensLatest(join(PROJECT_ROOT, "data", "ml-latest-small"));
  const table = trainingTable(demo);
  const trained = trainIalsOnTable(table, DEMO_IALS);
  const demoCovisit = buildCovisitation(table);
  const demoMass = decayedMass(demo.interactions, DEFAULT_POPULARITY.halfLifeDays);
  const facts = new Map(demo.items.map((item) => [item.itemId, item]));
  const { dims } = trained;
  const parents = trained.itemIds.length;
  step(`demo model ready: ${parents} parent items, ${dims} dims`);

  const sigma = dimensionSpread(trained.itemVectors, dims).map((s) => 0.25 * s);
  const random = new SeededRandom(seed);
  const parentOf = new Uint32Array(n);
  const itemVectors = new Float32Array(n * dims);
  const childCount = new Uint32Array(parents);
  for (let i = 0; i < n; i++) {
    const p = random.int(parents);
    parentOf[i] = p;
    childCount[p]!++;
    for (let d = 0; d < dims; d++) itemVectors[i * dims + d] = trained.itemVectors[p * dims + d]! + sigma[d]! * random.gaussian();
  }
  // Each parent's children, in item order, as one array cut by offsets.
  const childStart = new Uint32Array(parents + 1);
  for (let p = 0; p < parents; p++) childStart[p + 1] = childStart[p]! + childCount[p]!;
  const children = new Uint32Array(n);
  const filled = childStart.slice(0, parents);
  for (let i = 0; i < n; i++) children[filled[parentOf[i]!]!++] = i;

  const parentFacts = trained.itemIds.map((id) => facts.get(id));
  const categories = [...new Set(parentFacts.flatMap((item, p) => (childCount[p]! > 0 ? (item?.categories ?? []) : [])))].sort().slice(0, 32);
  const parentMask = Uint32Array.from(parentFacts, (item) =>
    (item?.categories ?? []).reduce((mask, c) => (categories.includes(c) ? (mask | (1 << categories.indexOf(c))) >>> 0 : mask), 0),
  );
  const popularity = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const parentMass = demoMass.mass.get(trained.itemIds[parentOf[i]!]!) ?? 0;
    popularity[i] = (parentMass * Math.exp(0.5 * random.gaussian())) / Math.max(1, n / parents);
  }
  const itemIds = Array.from({ length: n }, (_, i) => `s${i}`);
  const catalogItem = (i: number): CatalogItem => {
    const parent = parentFacts[parentOf[i]!];
    return {
      itemId: itemIds[i]!,
      title: `${parent?.title ?? "Item"} #${i}`,
      categories: parent?.categories ?? [],
      year: parent?.year ?? null,
      tags: [],
      available: true,
    };
  };
  const items: FunnelItems = {
    categories,
    categoryMask: Uint32Array.from(parentOf, (p) => parentMask[p]!),
    year: Uint16Array.from(parentOf, (p) => parentFacts[p]?.year ?? 0),
    popularity,
    available: new Uint8Array(n).fill(1),
    title: (i) => `${parentFacts[parentOf[i]!]?.title ?? "Item"} #${i}`,
  };
  step(`${n} synthetic items`);

  // Co-visitation: children of the parent's neighbours, best neighbours first.
  const offsets = new Uint32Array(n + 1);
  const neighbors = new Uint32Array(n * NEIGHBOURS);
  const scores = new Float32Array(n * NEIGHBOURS);
  let at = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = at;
    const list = neighborsOf(demoCovisit, parentOf[i]!);
    for (let k = 0; k < list.items.length && at - offsets[i]! < NEIGHBOURS; k++) {
      const kids = childCount[list.items[k]!]!;
      if (kids === 0) continue;
      neighbors[at] = children[childStart[list.items[k]!]! + random.int(kids)]!;
      scores[at] = list.scores[k]!;
      at++;
    }
  }
  offsets[n] = at;
  const covisit = { offsets, neighbors: neighbors.slice(0, at), scores: scores.slice(0, at) };
  step(`co-visitation: ${at} neighbours`);

  const embeddings = {
    ...trained,
    itemIds,
    itemVectors,
    gram: Float32Array.from(gramMatrix(itemVectors, dims)),
    userIds: [],
    userVectors: new Float32Array(0),
  };
  step("gram matrix");
  const writer = await VersionWriter.open(outDir);
  const funnel = writeFunnelBlobs(items, embeddings, covisit, writer);
  step(`funnel blobs: ${writer.size}`);
  // About 1 MiB shards: a query probes 16 lists, each in its own shard at this scale, so
  // smaller shards mean fewer bytes read, hashed and decoded per query on an isolate's cache miss.
  // Calibrated on the demo users' vectors: the synthetic items live in their space and have no users of their own.
  // Encoding every vector is the long step at 10M: worker threads, one per core.
  const ann = await buildAnnBlobsInWorkers(embeddings, {
    log: (line) => step(line),
    shardTargetBytes: 1024 * 1024,
    calibration: { queryVectors: trained.userVectors },
    tableRows: funnel.tableRows,
    factsPage: funnel.factsPage,
  });
  for (const [name, blob] of ann.blobs) writer.set(name, blob);
  step(`ANN blobs: ${ann.blobs.size}`);
  // Rows are in descending popularity: the popular lists and the D1 catalogue come from the first ones.
  const popular = popularFromOrder(funnel.order, catalogItem, (i) => popularity[i]!, demoMass.asOfMs);
  writer.set("popular", { bytes: encodePopularBlob(popular), contentType: "application/json" });
  const catalog = Array.from(funnel.order.subarray(0, CATALOG_ITEMS), catalogItem);
  const written = await writer.finish(
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
  step(`wrote ${written.version}: ${Object.keys(written.manifest.blobs).length} blobs`);
  return { dir: written.dir, version: written.version, catalog, popularIds: popular.items.slice(0, 500).map((x) => x.itemId), steps };
}

function mib(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}
