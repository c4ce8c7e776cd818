import { type AnnItems, type AnnManifestSection } from "../ann/ann-manifest";
import { type IvfPqHead } from "../ann/ivfpq-index";
import { type ListSource } from "../ann/ivfpq-search";
import { type ScanKernel } from "../ann/kernel/scan-kernel";
import { type CatalogFacts } from "../catalog/catalog-item";
import { type ItemLookup } from "../catalog/item-lookup";
import { type ItemPage } from "../catalog/item-page";
import { type ContentModel } from "../embeddings/content-vector";
import { type FoldInModel } from "../embeddings/fold-in";
import { type FunnelSection } from "../index-format/funnel-section";
import { type PopularBlob } from "../index-format/popular";
import { type LightWeights } from "../ranking/light-rank";
import { type PolicyConfig } from "../ranking/policy/policy-config";
import { type RankingOrder } from "../ranking/ranking-order";

/**
 * The funnel's ports: everything `runFunnel` reads, as small interfaces.
 * The Worker binds them to KV, D1, Redis and onnxruntime-web
 * (worker/src/funnel/worker-ports.ts); the builder binds them to an index built in
 * memory (index-builder/src/funnel/memory-ports.ts), so the offline
 * evaluation and ranker training run this very funnel. A port reports an
 * unusable part as `{ degraded }`, never by throwing; a port that throws or
 * runs past its stage's budget is named in the response the same way.
 */
export interface FunnelPorts {
  index: IndexPort;
  /** The ANN scan kernel (WASM SIMD in both runtimes). */
  kernel: ScanKernel;
  /** Regional trending; null when there is no online store. */
  trending: TrendingPort | null;
  config: ConfigPort;
  catalog: CatalogPort;
  /** The heavy ranker; null where none can run. */
  ranker: RankerPort | null;
  timing: StageTiming;
}

/** A port's answer for a part that cannot be used: the code named in `degraded`. */
export interface Fault {
  degraded: string;
}

/** What the funnel needs up front from a version's funnel section. */
export interface FunnelHead {
  section: FunnelSection;
  /** The item table; a request works on its own `table.view()` (shared/catalog/item-lookup.ts). */
  table: ItemLookup;
  /** Places brand-new items in the embedding space; null when the index has none. */
  content: ContentModel | null;
  foldIn: Omit<FoldInModel, "itemVectors">;
}

/**
 * What an ANN search needs up front. `items` names positions for an index
 * whose lists store positions; null when they store item-table rows
 * (`section.idSpace`), which the funnel head names.
 */
export interface AnnHead {
  section: AnnManifestSection;
  head: IvfPqHead;
  items: AnnItems | null;
}

/** One published index version: its small parts inline, the rest behind reads. */
export interface IndexPort {
  version: string;
  /** The popular list; null when its blob is unusable (named in `degraded`). */
  popular: PopularBlob | null;
  /** The bare popular list inlined in the manifest. */
  fallbackItemIds: readonly string[];
  /** Faults met while loading the version itself. */
  degraded: readonly string[];
  /** Light-ranker weights chosen on the index's validation data, when it ships them. */
  lightWeights: LightWeights | null;
  /** The order the index's validation chose for a user with a vector (manifest `ranking.order`); null: heavy when shipped, else light. */
  order: RankingOrder | null;
  /** Resolves null for an index built without the funnel section (smaller, not degraded). */
  funnelHead(): Promise<FunnelHead | Fault | null>;
  /** Resolves null for an index built without ANN. */
  annHead(): Promise<AnnHead | Fault | null>;
  /** Stored vectors of item-table rows (size dims each); a row of an unusable page is absent. */
  vectorsOfRows(head: FunnelHead, rows: readonly number[]): Promise<{ vectors: Map<number, Float32Array>; degraded: string[] }>;
  /**
   * Co-visitation neighbours (item-table rows) of item-table rows; empty for a row of an unusable page.
   * `facts`: the pages' facts pages, naming and describing the neighbours (ItemLookup.adopt).
   */
  covisitOfRows(
    head: FunnelHead,
    rows: readonly number[],
  ): Promise<{ neighborsOf: (row: number) => { items: Uint32Array; scores: Float32Array }; degraded: string[]; facts?: readonly ItemPage[] }>;
  /** The inverted lists holding `lists`; an unusable shard's lists are absent. `facts`: the shards' facts pages (ItemLookup.adopt). */
  fetchLists(section: AnnManifestSection, lists: Iterable<number>): Promise<{ source: ListSource; degraded: string[]; facts?: readonly ItemPage[] }>;
}

export interface TrendingPort {
  /** Items trending in `region`, best first, at most `limit`. */
  read(region: string, limit: number): Promise<{ itemId: string; score: number }[]>;
}

export interface ConfigPort {
  /** Re-ranking knobs and business rules for a surface (defaults when none are configured). */
  policy(surface: string): Promise<PolicyConfig>;
  /** The editorial list of a surface in a region, in order. */
  editorial(surface: string, region: string): Promise<string[]>;
}

/**
 * What the catalog says beyond the index: the overlay of rows changed or
 * added since the version was built, and a lookup for what neither knows.
 */
export interface CatalogPort {
  overlay(): Promise<CatalogView>;
  /** Current rows of items; an id the catalog does not hold is absent. */
  rowsOf(itemIds: readonly string[]): Promise<Map<string, CatalogFacts>>;
}

/** Catalog rows newer than the index (see worker/src/catalog/catalog-overlay.ts). */
export interface CatalogView {
  /** Items added since the index was built, newest first. */
  fresh: readonly CatalogFacts[];
  /** Rows changed, added or restricted since the index was built, by id. */
  rows: ReadonlyMap<string, CatalogFacts>;
  /** False when the overlay outgrew its limit: then what it does not name is asked of `rowsOf`. */
  complete: boolean;
  /** Set when the catalogue could not be read and this is the last overlay known. */
  stale?: boolean;
}

/** The heavy ranker as the funnel uses it. */
export interface RankerPort {
  /** Resolves null for an index that ships no heavy ranker. */
  load(): Promise<HeavyModel | Fault | null>;
}

export interface HeavyModel {
  /** `ready` scores at once; `warming` starts loading (in the background) and the light scores stand; `failed` backs off. */
  state(): "ready" | "warming" | "failed";
  /** Scores `n` feature rows (size n·FEATURE_COUNT, row-major, shared/ranking/features.ts); returns size n. */
  score(rows: Float32Array, n: number): Promise<Float32Array>;
}

/** Stage timings (the Worker's Server-Timing); offline, a no-op. */
export interface StageTiming {
  measure<T>(stage: string, work: () => Promise<T>): Promise<T>;
  measureSync<T>(stage: string, work: () => T): T;
}

/** A timing that records nothing. */
export const NO_TIMING: StageTiming = {
  measure: (_stage, work) => work(),
  measureSync: (_stage, work) => work(),
};
