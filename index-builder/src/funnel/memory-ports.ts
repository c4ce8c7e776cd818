import { decodeAnnHead } from "../../../shared/ann/ann-blobs";
import { ANN_BLOBS, type AnnItems, type AnnManifestSection, shardOfList } from "../../../shared/ann/ann-manifest";
import { type InvertedList } from "../../../shared/ann/ivfpq-index";
import { type ScanKernel } from "../../../shared/ann/kernel/scan-kernel";
import { decodeShard } from "../../../shared/ann/shard-format";
import { type CatalogFacts } from "../../../shared/catalog/catalog-item";
import { decodeCovisit } from "../../../shared/covisit/covisit-codec";
import { type CovisitLists, neighborsOf } from "../../../shared/covisit/covisit-lists";
import { decodeFunnelHead, decodeVectorPage } from "../../../shared/funnel/funnel-head";
import { type AnnHead, type CatalogView, type FunnelHead, type FunnelPorts, NO_TIMING, type TrendingPort } from "../../../shared/funnel/ports";
import { covisitPageName, FUNNEL_BLOBS, vectorPageName } from "../../../shared/index-format/funnel-section";
import { type MlpModel, mlpScore } from "../../../shared/ranking/mlp";
import { DEFAULT_POLICY, type PolicyConfig } from "../../../shared/ranking/policy/policy-config";
import { type MemoryIndex } from "./memory-index";

/** What the offline funnel is served besides the index: nothing online unless given. */
export interface MemoryPortOptions {
  kernel: ScanKernel;
  /** The heavy ranker, scored in process by shared/ranking/mlp.ts (the ONNX export computes the same function). */
  ranker?: MlpModel | null;
  policy?: PolicyConfig;
  /** surface -> region -> ids, as the editorial config. */
  editorial?: Record<string, Record<string, string[]>>;
  trending?: TrendingPort | null;
  /** Catalogue rows newer than the index; none by default (the index is the whole catalogue). */
  catalog?: { overlay: CatalogView; rows: ReadonlyMap<string, CatalogFacts> };
}

interface Decoded {
  head: FunnelHead;
  ann: AnnHead | null;
  vectorPages: Float32Array[];
  covisitPages: CovisitLists[];
  lists: Map<number, InvertedList[]>;
}

const decodedIndexes = new WeakMap<MemoryIndex, Decoded>();

/** Every blob of the index decoded once, with the shared decoders the Worker uses on KV. */
function decode(index: MemoryIndex): Decoded {
  const hit = decodedIndexes.get(index);
  if (hit) return hit;
  const bytes = (name: string) => index.blobs.get(name)?.bytes ?? null;
  const section = index.funnel;
  const head = decodeFunnelHead(section, bytes(FUNNEL_BLOBS.itemTable)!, bytes(FUNNEL_BLOBS.foldIn)!, null);
  const vectorPages = Array.from({ length: section.vectorPages }, (_, p) => decodeVectorPage(bytes(vectorPageName(p))!));
  const covisitPages = Array.from({ length: section.covisitPages }, (_, p) => decodeCovisit(bytes(covisitPageName(p))!));
  let ann: AnnHead | null = null;
  const lists = new Map<number, InvertedList[]>();
  if (index.ann) {
    const a = index.ann;
    const items = a.idSpace === "item-table" ? null : (JSON.parse(new TextDecoder().decode(bytes(ANN_BLOBS.items)!)) as AnnItems);
    ann = { section: a, head: decodeAnnHead(a, { centroids: bytes(ANN_BLOBS.centroids)!, codebooks: bytes(ANN_BLOBS.codebooks)!, sq8: bytes(ANN_BLOBS.sq8) }), items };
    for (const ref of a.shards) lists.set(ref.firstList, decodeShard(bytes(ref.name)!, { ...a, ...ref }));
  }
  const decoded = { head, ann, vectorPages, covisitPages, lists };
  decodedIndexes.set(index, decoded);
  return decoded;
}

const EMPTY_VIEW: CatalogView = { fresh: [], rows: new Map(), complete: true };

/** The funnel's ports over an index in memory: how the offline evaluation and ranker training run the served funnel. */
export function memoryFunnelPorts(index: MemoryIndex, options: MemoryPortOptions): FunnelPorts {
  const d = decode(index);
  const policy = options.policy ?? DEFAULT_POLICY;
  const ranker = options.ranker ?? null;
  return {
    index: {
      version: index.version,
      popular: index.popular,
      fallbackItemIds: index.fallbackItemIds,
      degraded: [],
      lightWeights: index.lightWeights,
      funnelHead: async () => d.head,
      annHead: async () => d.ann,
      vectorsOfRows: async (head, rows) => {
        const { vectorPageSize: size, dims } = head.section;
        const vectors = new Map<number, Float32Array>();
        for (const row of rows) {
          const page = d.vectorPages[Math.floor(row / size)];
          if (page) vectors.set(row, page.subarray((row % size) * dims, (row % size + 1) * dims));
        }
        return { vectors, degraded: [] };
      },
      covisitOfRows: async (head) => {
        const size = head.section.covisitPageSize;
        return { neighborsOf: (row: number) => neighborsOf(d.covisitPages[Math.floor(row / size)]!, row % size), degraded: [] };
      },
      fetchLists: async (section: AnnManifestSection) => ({
        source: (list: number) => {
          const shard = shardOfList(section, list);
          return shard ? (d.lists.get(shard.firstList)?.[list - shard.firstList] ?? null) : null;
        },
        degraded: [],
      }),
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
    ranker: ranker ? { load: async () => ({ state: () => "ready", score: async (rows, n) => mlpScore(ranker, rows, n) }) } : null,
    timing: NO_TIMING,
  };
}
