import { decodeAnnHead } from "../../../shared/ann/ann-blobs";
import { type ItemLookup } from "../../../shared/catalog/item-lookup";
import { ANN_BLOBS, type AnnItems, type AnnManifestSection, type AnnShardRef, shardOfList } from "../../../shared/ann/ann-manifest";
import { type InvertedList, type IvfPqHead } from "../../../shared/ann/ivfpq-index";
import { type ListSource } from "../../../shared/ann/ivfpq-search";
import { decodeShard, shardFacts } from "../../../shared/ann/shard-format";
import { decodeItemPage, type ItemPage, itemPageBytes, searchRow, selectItemPage } from "../../../shared/catalog/item-page";
import { readVerifiedBlob } from "../../../shared/index-format/index-reader";
import { type IndexManifest } from "../../../shared/index-format/manifest";
import { type AnnHead as SharedAnnHead } from "../../../shared/funnel/ports";
import { cachePart, chargeHead, releaseHead } from "../cache/isolate-cache";
import { SharedLoads } from "../cache/shared-loads";

/** A version's ANN head (shared/funnel/ports.ts), with the positions of its items by id when its lists store positions. */
export interface AnnHead extends SharedAnnHead {
  positionOf: Map<string, number> | null;
}

/** A decoded shard: its lists, and the facts page of the rows it holds when the builder stored one. */
interface DecodedShard {
  lists: InvertedList[];
  facts: ItemPage | null;
}

/**
 * One inverted list as the isolate keeps it: its ids, codes and re-scoring
 * codes copied out of its shard, with the facts of its rows (an item page in
 * row order) when the shard carries facts. A query probes a few lists of
 * each shard it reads, so the cache holds those lists, not whole shards: a
 * shard of the 1M index is about 1.5 MB and holds seven lists.
 */
interface CachedList {
  list: InvertedList;
  facts: ItemPage | null;
}

/** Probed lists of every version, in the isolate's one byte budget (cache-budget.ts). */
const lists = cachePart<CachedList>("ann-list");
/** Shards being read, so concurrent misses on lists of one shard read it once. */
const reading = new SharedLoads<{ value: DecodedShard } | { fault: string }>();

/** Reads, verifies and decodes one shard; a fault names why it is unusable. */
async function readShard(
  kv: KVNamespace,
  manifest: IndexManifest,
  section: AnnManifestSection,
  name: string,
  ref: { firstList: number; listCount: number },
): Promise<{ value: DecodedShard } | { fault: string }> {
  const read = await readVerifiedBlob(kv, manifest, name);
  if ("fault" in read) {
    console.warn(JSON.stringify({ level: "warn", message: "ANN shard unusable", version: manifest.version, shard: name, fault: read.fault }));
    return { fault: read.fault };
  }
  try {
    const lists = decodeShard(read.bytes, { ...section, ...ref });
    const facts = shardFacts(read.bytes);
    return { value: { lists, facts: facts ? decodeItemPage(facts) : null } };
  } catch (err) {
    // Checksummed but inconsistent with the manifest: a builder bug, still not worth a failed request.
    console.warn(JSON.stringify({ level: "warn", message: "ANN shard undecodable", version: manifest.version, shard: name, error: String(err) }));
    return { fault: "invalid" };
  }
}

/** List j of a decoded shard in buffers of its own, with the facts of its rows; and its size in bytes. */
function copyList(shard: DecodedShard, j: number): { value: CachedList; bytes: number } {
  const source = shard.lists[j]!;
  const list = { ids: source.ids.slice(), codes: source.codes.slice(), sq8: source.sq8 ? source.sq8.slice() : null };
  let facts: ItemPage | null = null;
  if (shard.facts) {
    const ks: number[] = [];
    // Typed arrays sort numerically: the facts page keeps rows ascending.
    for (const row of list.ids.slice().sort()) {
      const k = searchRow(shard.facts, row);
      if (k >= 0) ks.push(k);
    }
    facts = selectItemPage(shard.facts, ks);
  }
  const bytes = list.ids.byteLength + list.codes.byteLength + (list.sq8?.byteLength ?? 0) + (facts ? itemPageBytes(facts) : 0);
  return { value: { list, facts }, bytes };
}

const heads = new Map<string, AnnHead>();
const MAX_HEADS = 2;

/**
 * Names the ids a search returns: positions through `ann-items`, or
 * item-table rows through the funnel's table (a view that prepared them).
 * Null when the table that names them is unavailable.
 */
export function annIdNamer(ann: AnnHead, table: ItemLookup | null): ((id: number) => string | null) | null {
  if (ann.items) {
    const ids = ann.items.ids;
    return (position) => ids[position] ?? null;
  }
  return table ? (row) => table.idAt(row) : null;
}

/** The ANN head of a version, verified; a fault value names the unusable blob. */
export async function loadAnnHead(kv: KVNamespace, manifest: IndexManifest): Promise<AnnHead | { degraded: string }> {
  const section = manifest.ann;
  if (!section) return { degraded: "ann_not_built" };
  const hit = heads.get(manifest.version);
  if (hit) return hit;
  return loadingHeads.load(manifest.version, () => readAnnHead(kv, manifest, section));
}

/** Heads being read: concurrent requests (and the version's warm-up, index-cache.ts) read them once. */
const loadingHeads = new SharedLoads<AnnHead | { degraded: string }>();

async function readAnnHead(kv: KVNamespace, manifest: IndexManifest, section: AnnManifestSection): Promise<AnnHead | { degraded: string }> {
  const byRow = section.idSpace === "item-table";
  const names = [ANN_BLOBS.centroids, ANN_BLOBS.codebooks, ...(byRow ? [] : [ANN_BLOBS.items]), ...(section.rescore === "sq8" ? [ANN_BLOBS.sq8] : [])];
  const reads = await Promise.all(names.map((name) => readVerifiedBlob(kv, manifest, name)));
  const bytes = new Map<string, Uint8Array>();
  for (const [i, read] of reads.entries()) {
    if ("fault" in read) return { degraded: `${names[i]}_${read.fault}` };
    bytes.set(names[i]!, read.bytes);
  }
  let head: IvfPqHead;
  let items: AnnItems | null = null;
  try {
    head = decodeAnnHead(section, {
      centroids: bytes.get(ANN_BLOBS.centroids)!,
      codebooks: bytes.get(ANN_BLOBS.codebooks)!,
      sq8: bytes.get(ANN_BLOBS.sq8) ?? null,
    });
    if (!byRow) items = JSON.parse(new TextDecoder().decode(bytes.get(ANN_BLOBS.items))) as AnnItems;
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", message: "ANN head undecodable", version: manifest.version, error: String(err) }));
    return { degraded: "ann_head_invalid" };
  }
  const loaded: AnnHead = { section, head, items, positionOf: items ? new Map(items.ids.map((id, i) => [id, i])) : null };
  heads.set(manifest.version, loaded);
  // The ids blob of an index by position is parsed into a JS array and a map: some 100 bytes an id.
  chargeHead(`ann-head:${manifest.version}`, [...bytes.values()].reduce((sum, b) => sum + b.byteLength, 0) + (items ? items.ids.length * 100 : 0));
  while (heads.size > MAX_HEADS) {
    const oldest = heads.keys().next().value!;
    heads.delete(oldest);
    releaseHead(`ann-head:${oldest}`);
  }
  return loaded;
}

/**
 * The inverted lists `wanted`, from the isolate's cache or else from their
 * shards, read in parallel and verified against the manifest's checksums.
 * A missing or corrupt shard is named in `degraded` and its lists are
 * simply absent. `facts` are the facts pages of the lists' rows.
 */
export async function fetchLists(
  kv: KVNamespace,
  manifest: IndexManifest,
  section: AnnManifestSection,
  wanted: Iterable<number>,
): Promise<{ source: ListSource; degraded: string[]; facts: ItemPage[] }> {
  const found = new Map<number, CachedList>();
  const missing = new Map<string, { ref: AnnShardRef; lists: number[] }>();
  for (const list of new Set(wanted)) {
    const hit = lists.get(`${manifest.version}/${list}`);
    if (hit) {
      found.set(list, hit);
      continue;
    }
    const ref = shardOfList(section, list);
    if (!ref) continue;
    const entry = missing.get(ref.name) ?? { ref, lists: [] };
    entry.lists.push(list);
    missing.set(ref.name, entry);
  }
  const degraded: string[] = [];
  await Promise.all(
    [...missing].map(async ([name, { ref, lists: inShard }]) => {
      const read = await reading.load(`${manifest.version}/${name}`, () => readShard(kv, manifest, section, name, ref));
      if ("fault" in read) {
        degraded.push(`${name}_${read.fault}`);
        return;
      }
      for (const list of inShard) {
        const listKey = `${manifest.version}/${list}`;
        const cached = lists.get(listKey);
        if (cached) {
          found.set(list, cached);
          continue;
        }
        const copied = copyList(read.value, list - ref.firstList);
        lists.set(listKey, copied.value, copied.bytes);
        found.set(list, copied.value);
      }
    }),
  );
  const source: ListSource = (list) => found.get(list)?.list ?? null;
  const facts = [...found.values()].flatMap((l) => (l.facts ? [l.facts] : []));
  return { source, degraded: degraded.sort(), facts };
}
