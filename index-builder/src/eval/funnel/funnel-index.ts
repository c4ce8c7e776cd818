import { decodeAnnHead } from "../../../../shared/ann/ann-blobs";
import { ANN_BLOBS, type AnnItems, type AnnManifestSection } from "../../../../shared/ann/ann-manifest";
import { type InvertedList, type IvfPqHead, type IvfPqParams } from "../../../../shared/ann/ivfpq-index";
import { type ListSource } from "../../../../shared/ann/ivfpq-search";
import { decodeShard } from "../../../../shared/ann/shard-format";
import { type CatalogItem } from "../../../../shared/catalog/catalog-item";
import { type CovisitLists } from "../../../../shared/covisit/covisit-lists";
import { type FoldInModel } from "../../../../shared/embeddings/fold-in";
import { type PopularBlob } from "../../../../shared/index-format/popular";
import { type ItemFacts } from "../../../../shared/ranking/candidate";
import { buildAnnBlobs } from "../../ann/build-ann-blobs";
import { DEFAULT_POPULARITY, popularFromMass } from "../../build/popularity";
import { gramMatrix, type IalsFactors, type IalsOptions } from "../../train/implicit-als";
import { type InteractionTable } from "../../train/interaction-table";

/** The published ANN index as the Worker reads it: decoded head, item positions and every list. */
export interface AnnIndex {
  section: AnnManifestSection;
  head: IvfPqHead;
  items: AnnItems;
  source: ListSource;
}

/**
 * What the published index would hold for one training table, in the
 * shapes the Worker's funnel reads: the fold-in model, the IVF-PQ blobs
 * (built by `buildAnnBlobs` and decoded again, so the search sees exactly
 * the served bytes), co-visitation lists, the popular blob and the item
 * facts. Item rows are the table's dense item indices. The ANN section
 * carries the builder's calibrated nprobe, as a published index would.
 */
export interface FunnelIndex {
  itemIds: readonly string[];
  itemIndex: ReadonlyMap<string, number>;
  foldIn: FoldInModel;
  ann: AnnIndex;
  covisit: CovisitLists;
  popular: PopularBlob;
  /** What ranking knows of each item, by id. */
  facts: ReadonlyMap<string, ItemFacts>;
}

/**
 * Builds the index from trained factors and co-visitation lists of `train`.
 * Popularity is the builder's: time-decayed mass (DEFAULT_POPULARITY's
 * half-life) measured back from the newest training row. `ann` overrides
 * the default IVF-PQ parameters (tuning only).
 */
export function buildFunnelIndex(
  train: InteractionTable,
  catalog: readonly CatalogItem[],
  factors: IalsFactors,
  confidence: Pick<IalsOptions, "alpha" | "regularization" | "regExponent">,
  covisit: CovisitLists,
  ann: Partial<IvfPqParams> = {},
): FunnelIndex {
  const { dims } = factors;
  const itemVectors = Float32Array.from(factors.itemVectors);
  const gram = Float32Array.from(gramMatrix(factors.itemVectors, dims));
  const params = { alpha: confidence.alpha, regularization: confidence.regularization, regExponent: confidence.regExponent };
  // The trained user vectors are what the ANN calibration queries with: the full-history fold-in reproduces them.
  const userVectors = Float32Array.from(factors.userVectors);
  const embeddings = { dims, itemIds: train.itemIds, itemVectors, userIds: train.userIds, userVectors, gram, params };

  const byId = new Map(catalog.map((item) => [item.itemId, item]));
  const items: CatalogItem[] = train.itemIds.map((itemId) => byId.get(itemId) ?? { itemId, title: itemId, categories: [], year: null, tags: [], available: true });
  let newestSec = -Infinity;
  for (const t of train.timestampsSec) newestSec = Math.max(newestSec, t);
  const halfLifeSec = DEFAULT_POPULARITY.halfLifeDays * 86_400;
  const mass = new Map<string, number>();
  for (let r = 0; r < train.items.length; r++) {
    const id = train.itemIds[train.items[r]!]!;
    mass.set(id, (mass.get(id) ?? 0) + Math.pow(0.5, (newestSec - train.timestampsSec[r]!) / halfLifeSec));
  }
  const facts = new Map<string, ItemFacts>(
    items.map((item) => [item.itemId, { itemId: item.itemId, title: item.title, categories: item.categories, year: item.year, popularity: mass.get(item.itemId) ?? 0, available: true, fresh: false }]),
  );
  return {
    itemIds: train.itemIds,
    itemIndex: new Map(train.itemIds.map((id, i) => [id, i])),
    foldIn: { dims, itemVectors, gram, params },
    ann: decodeAnn(buildAnnBlobs(embeddings, { params: ann })),
    covisit,
    popular: popularFromMass(items, mass, newestSec * 1000),
    facts,
  };
}

function decodeAnn({ blobs, section }: ReturnType<typeof buildAnnBlobs>): AnnIndex {
  const bytes = (name: string) => blobs.get(name)?.bytes ?? null;
  const head = decodeAnnHead(section, { centroids: bytes(ANN_BLOBS.centroids)!, codebooks: bytes(ANN_BLOBS.codebooks)!, sq8: bytes(ANN_BLOBS.sq8) });
  const items = JSON.parse(new TextDecoder().decode(bytes(ANN_BLOBS.items)!)) as AnnItems;
  const lists: InvertedList[] = [];
  for (const ref of section.shards) lists.push(...decodeShard(bytes(ref.name)!, { ...section, ...ref }));
  return { section, head, items, source: (list) => lists[list] ?? null };
}
