import { type EncodedBlob } from "../../../shared/ann/ann-blobs";
import { type AnnManifestSection } from "../../../shared/ann/ann-manifest";
import { type IvfPqParams } from "../../../shared/ann/ivfpq-index";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { type CovisitLists } from "../../../shared/covisit/covisit-lists";
import { type FunnelSection } from "../../../shared/index-format/funnel-section";
import { type PopularBlob } from "../../../shared/index-format/popular";
import { type RankingOrder } from "../../../shared/ranking/ranking-order";
import { type LightWeights } from "../../../shared/ranking/light-rank";
import { buildAnnBlobs } from "../ann/build-ann-blobs";
import { buildFunnelBlobs } from "../build/funnel-blobs";
import { popularFromMass } from "../build/popularity";
import { type TrainedEmbeddings } from "../train/train-ials";

/** Length of the bare popular list inlined in a manifest. */
export const FALLBACK_SIZE = 200;

/**
 * An index version held in memory: the very blobs a build publishes (item
 * table, fold-in data, vector, co-visitation and title pages, IVF-PQ head
 * and shards) with the manifest sections that describe them. The builder's
 * funnel ports (memory-ports.ts) decode these bytes with the same shared
 * decoders the Worker uses on KV.
 */
export interface MemoryIndex {
  version: string;
  blobs: ReadonlyMap<string, EncodedBlob>;
  funnel: FunnelSection;
  /** Null for an index built without ANN. */
  ann: AnnManifestSection | null;
  popular: PopularBlob;
  fallbackItemIds: string[];
  /** The light weights the manifest ships (`ranking.light`); null: the Worker's defaults. */
  lightWeights: LightWeights | null;
  /** The order the manifest names (`ranking.order`); absent or null: heavy when a ranker is bound, else light. */
  order?: RankingOrder | null;
}

export interface MemoryIndexInput {
  version: string;
  /** Catalogue facts of the items (titles, categories, years, availability); an item the embeddings name but this lacks gets empty facts. */
  catalog: readonly CatalogItem[];
  /** Trained vectors; `userVectors` are the ANN calibration's query pool. */
  embeddings: TrainedEmbeddings;
  /** Co-visitation lists in the embeddings' item order. */
  covisit: CovisitLists;
  /** Each item's decayed interaction mass at `asOfMs` (the popular list and the item table's popularity). */
  mass: ReadonlyMap<string, number>;
  asOfMs: number;
  /** IVF-PQ parameter overrides, or false for no ANN section. */
  ann?: Partial<IvfPqParams> | false;
  lightWeights?: LightWeights | null;
}

/** Builds a version's blobs in memory with the builder's own blob code (build/funnel-blobs.ts, ann/build-ann-blobs.ts). */
export function buildMemoryIndex(input: MemoryIndexInput): MemoryIndex {
  const byId = new Map(input.catalog.map((item) => [item.itemId, item]));
  const items = input.embeddings.itemIds.map((itemId) => byId.get(itemId) ?? { itemId, title: itemId, categories: [], year: null, tags: [], available: true });
  const funnel = buildFunnelBlobs({ items }, input.embeddings, input.covisit, new Map(input.mass));
  const blobs = new Map<string, EncodedBlob>(funnel.blobs);
  let ann: AnnManifestSection | null = null;
  if (input.ann !== false) {
    const built = buildAnnBlobs(input.embeddings, { params: input.ann ?? {}, tableRows: funnel.tableRows, factsPage: funnel.factsPage });
    for (const [name, blob] of built.blobs) blobs.set(name, blob);
    ann = built.section;
  }
  const popular = popularFromMass(items, input.mass, input.asOfMs);
  return {
    version: input.version,
    blobs,
    funnel: funnel.section,
    ann,
    popular,
    fallbackItemIds: popular.items.slice(0, FALLBACK_SIZE).map((x) => x.itemId),
    lightWeights: input.lightWeights ?? null,
  };
}
