import { decodeAnnHead } from "../../../shared/ann/ann-blobs";
import { ANN_BLOBS, type AnnItems, type AnnManifestSection, shardOfList } from "../../../shared/ann/ann-manifest";
import { type InvertedList } from "../../../shared/ann/ivfpq-index";
import { type ScanKernel } from "../../../shared/ann/kernel/scan-kernel";
import { decodeShard } from "../../../shared/ann/shard-format";
import { type CatalogFacts } from "../../../shared/catalog/catalog-item";
import { decodeCovisit } from "../../../shared/covisit/covisit-codec";
import { CONTENT_MODEL_BLOB } from "../../../shared/embeddings/content-model-blob";
import { type CovisitLists, neighborsOf } from "../../../shared/covisit/covisit-lists";
import { decodeFunnelHead, decodeVectorPage } from "../../../shared/funnel/funnel-head";
import { type AnnHead, type CatalogView, type Fault, type FunnelHead, type FunnelPorts, NO_TIMING, type TrendingPort } from "../../../shared/funnel/ports";
import { covisitPageName, FUNNEL_BLOBS, itemPageName, itemTableBlob, vectorPageName } from "../../../shared/index-format/funnel-section";
import { decodeItemPage } from "../../../shared/catalog/item-page";
import { type RankerModel, rankerScore } from "../../../shared/ranking/ranker-model";
import { DEFAULT_POLICY, type PolicyConfig } from "../../../shared/ranking/policy/policy-config";
import { type MemoryIndex } from "./memory-index";

/** What the offline funnel is served besides the index: nothing online unless given. */
export interface MemoryPortOptions {
  kernel: ScanKernel;
  /** The heavy ranker (MLP or oblivious forest), scored in process by shared/ranking/ranker-model.ts (the ONNX export computes the same function). */
  ranker?: RankerModel | null;
  policy?: PolicyConfig;
  /** surface -> region -> ids, as the editorial config. */
  editorial?: Record<string, Record<string, string[]>>;
  trending?: TrendingPort | null;
  /** Catalogue rows newer than the index; none by default (the index is the whole catalogue). */
  catalog?: { overlay: CatalogView; rows: ReadonlyMap<string, CatalogFacts> };
}

/** A version's blobs, decoded on first use with the shared decoders the Worker uses on KV; a missing blob is a fault, as in KV. */
class DecodedIndex {
  readonly head: FunnelHead | Fault;
  readonly ann: AnnHead | Fault | null;
  private readonly pages = new Map<string, unknown>();

  constructor(private readonly index: MemoryIndex) {
    const tableBlob = itemTableBlob(index.funnel);
    const itemTable = this.bytes(tableBlob);
    const foldIn = this.bytes(FUNNEL_BLOBS.foldIn);
    const readItemPage = async (kind: "rows" | "ids", p: number) => {
      const page = this.page(itemPageName(kind, p), decodeItemPage, []);
      return page ? { value: page } : { fault: "missing" };
    };
    this.head = !itemTable
      ? { degraded: `${tableBlob}_missing` }
      : !foldIn
        ? { degraded: `${FUNNEL_BLOBS.foldIn}_missing` }
        : // The content model as the Worker loads it (funnel-store.ts): it orders the fresh source for the user.
          decodeFunnelHead(index.funnel, itemTable, foldIn, this.bytes(CONTENT_MODEL_BLOB), readItemPage);
    this.ann = index.ann ? this.annHead(index.ann) : null;
  }

  bytes(name: string): Uint8Array | null {
    return this.index.blobs.get(name)?.bytes ?? null;
  }

  /** A page blob decoded once; null (and its name in `degraded`) when missing. */
  page<T>(name: string, decode: (bytes: Uint8Array) => T, degraded: string[]): T | null {
    if (!this.pages.has(name)) {
      const bytes = this.bytes(name);
      this.pages.set(name, bytes ? decode(bytes) : null);
    }
    const value = this.pages.get(name) as T | null;
    if (value === null) degraded.push(`${name}_missing`);
    return value;
  }

  private annHead(section: AnnManifestSection): AnnHead | Fault {
    const [centroids, codebooks] = [this.bytes(ANN_BLOBS.centroids), this.bytes(ANN_BLOBS.codebooks)];
    if (!centroids || !codebooks) return { degraded: `${!centroids ? ANN_BLOBS.centroids : ANN_BLOBS.codebooks}_missing` };
    const itemsBytes = section.idSpace === "item-table" ? null : this.bytes(ANN_BLOBS.items);
    const items = itemsBytes ? (JSON.parse(new TextDecoder().decode(itemsBytes)) as AnnItems) : null;
    return { section, head: decodeAnnHead(section, { centroids, codebooks, sq8: this.bytes(ANN_BLOBS.sq8) }), items };
  }
}

const decodedIndexes = new WeakMap<MemoryIndex, DecodedIndex>();

function decoded(index: MemoryIndex): DecodedIndex {
  let d = decodedIndexes.get(index);
  if (!d) {
    d = new DecodedIndex(index);
    decodedIndexes.set(index, d);
  }
  return d;
}

const EMPTY_VIEW: CatalogView = { fresh: [], rows: new Map(), complete: true };

/** The funnel's ports over an index in memory: how the offline evaluation and ranker training run the served funnel. */
export function memoryFunnelPorts(index: MemoryIndex, options: MemoryPortOptions): FunnelPorts {
  const d = decoded(index);
  const policy = options.policy ?? DEFAULT_POLICY;
  const ranker = options.ranker ?? null;
  return {
    index: {
      version: index.version,
      popular: index.popular,
      fallbackItemIds: index.fallbackItemIds,
      degraded: [],
      lightWeights: index.lightWeights,
      order: index.order ?? null,
      funnelHead: async () => d.head,
      annHead: async () => d.ann,
      vectorsOfRows: async (head, rows) => {
        const { vectorPageSize: size, dims } = head.section;
        const degraded: string[] = [];
        const vectors = new Map<number, Float32Array>();
        for (const row of rows) {
          const page = d.page(vectorPageName(Math.floor(row / size)), decodeVectorPage, degraded);
          if (page) vectors.set(row, page.subarray((row % size) * dims, ((row % size) + 1) * dims));
        }
        return { vectors, degraded: [...new Set(degraded)].sort() };
      },
      covisitOfRows: async (head, rows) => {
        const size = head.section.covisitPageSize;
        const degraded: string[] = [];
        const lists = new Map<number, CovisitLists | null>();
        for (const row of rows) {
          const p = Math.floor(row / size);
          if (!lists.has(p)) lists.set(p, d.page(covisitPageName(p), decodeCovisit, degraded));
        }
        const empty = { items: new Uint32Array(0), scores: new Float32Array(0) };
        return {
          neighborsOf: (row: number) => {
            const page = lists.get(Math.floor(row / size));
            return page ? neighborsOf(page, row % size) : empty;
          },
          degraded: degraded.sort(),
        };
      },
      fetchLists: async (section: AnnManifestSection, wanted: Iterable<number>) => {
        const degraded: string[] = [];
        const shards = new Map<number, InvertedList[] | null>();
        for (const list of wanted) {
          const ref = shardOfList(section, list);
          if (ref && !shards.has(ref.firstList))
            shards.set(
              ref.firstList,
              d.page(ref.name, (b) => decodeShard(b, { ...section, ...ref }), degraded),
            );
        }
        return {
          source: (list: number) => {
            const ref = shardOfList(section, list);
            return ref ? (shards.get(ref.firstList)?.[list - ref.firstList] ?? null) : null;
          },
          degraded: degraded.sort(),
        };
      },
    },
    kernel: options.kernel,
    trending: options.trending ?? null,
    config: {
      policy: async () => policy,
      editorial: async (surface, region) => options.editorial?.[surface]?.[region] ?? options.editorial?.[surface]?.default ?? [],
    },
    catalog: {
      overlay: async () => options.catalog?.overlay ?? EMPTY_VIEW,
      rowsOf: async (itemIds) => {
        const out = new Map<string, CatalogFacts>();
        for (const id of itemIds) {
          const row = options.catalog?.rows.get(id);
          if (row) out.set(id, row);
        }
        return out;
      },
    },
    ranker: ranker ? { load: async () => ({ state: () => "ready", score: async (rows, n) => rankerScore(ranker, rows, n) }) } : null,
    timing: NO_TIMING,
  };
}
