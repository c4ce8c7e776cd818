import { decodeAnnHead } from "../../../shared/ann/ann-blobs";
import { type ItemLookup } from "../../../shared/catalog/item-lookup";
import { ANN_BLOBS, type AnnItems, type AnnManifestSection, shardOfList } from "../../../shared/ann/ann-manifest";
import { type InvertedList, type IvfPqHead } from "../../../shared/ann/ivfpq-index";
import { type ListSource } from "../../../shared/ann/ivfpq-search";
import { decodeShard, shardFacts } from "../../../shared/ann/shard-format";
import { decodeItemPage, type ItemPage } from "../../../shared/catalog/item-page";
import { readVerifiedBlob } from "../../../shared/index-format/index-reader";
import { type IndexManifest } from "../../../shared/index-format/manifest";
import { type AnnHead as SharedAnnHead } from "../../../shared/funnel/ports";
import { cachePart, chargeHead, releaseHead } from "../cache/isolate-cache";

/** A version's ANN head (shared/funnel/ports.ts), with the positions of its items by id when its lists store positions. */
export interface AnnHead extends SharedAnnHead {
  positionOf: Map<string, number> | null;
}

/** A decoded shard: its lists, and the facts page of the rows it holds when the builder stored one. */
interface DecodedShard {
  lists: InvertedList[];
  facts: ItemPage | null;
}

/** Decoded shards of every version, in the isolate's one byte budget (cache-budget.ts). */
const shards = cachePart<DecodedShard>("ann-shard");
/** Reads, verifies and decodes one shard, with its size for the LRU; a fault names why it is unusable. */
async function readShard(
  kv: KVNamespace,
  manifest: IndexManifest,
  section: AnnManifestSection,
  name: string,
  ref: { firstList: number; listCount: number },
): Promise<{ value: DecodedShard; bytes: number } | { fault: string }> {
  const read = await readVerifiedBlob(kv, manifest, name);
  if ("fault" in read) {
    console.warn(JSON.stringify({ level: "warn", message: "ANN shard unusable", version: manifest.version, shard: name, fault: read.fault }));
    return { fault: read.fault };
  }
  try {
    const lists = decodeShard(read.bytes, { ...section, ...ref });
    const facts = shardFacts(read.bytes);
    return { value: { lists, facts: facts ? decodeItemPage(facts) : null }, bytes: read.bytes.byteLength };
  } catch (err) {
    // Checksummed but inconsistent with the manifest: a builder bug, still not worth a failed request.
    console.warn(JSON.stringify({ level: "warn", message: "ANN shard undecodable", version: manifest.version, shard: name, error: String(err) }));
    return { fault: "invalid" };
  }
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
 * Fetches the shards holding `lists` in parallel (from the isolate's LRU when
 * there), verifying each against the manifest's checksum. A missing or
 * corrupt shard is named in `degraded` and its lists are simply absent.
 */
export async function fetchLists(
  kv: KVNamespace,
  manifest: IndexManifest,
  section: AnnManifestSection,
  lists: Iterable<number>,
): Promise<{ source: ListSource; degraded: string[]; facts: ItemPage[] }> {
  const wanted = new Map<string, { firstList: number; listCount: number }>();
  for (const list of lists) {
    const shard = shardOfList(section, list);
    if (shard) wanted.set(shard.name, shard);
  }
  const degraded: string[] = [];
  const decoded = new Map<number, DecodedShard>();
  await Promise.all(
    [...wanted].map(async ([name, ref]) => {
      const read = await shards.getOrLoad(`${manifest.version}/${name}`, () => readShard(kv, manifest, section, name, ref));
      if ("fault" in read) {
        degraded.push(`${name}_${read.fault}`);
        return;
      }
      decoded.set(ref.firstList, read.value);
    }),
  );
  const source: ListSource = (list) => {
    const shard = shardOfList(section, list);
    return shard ? (decoded.get(shard.firstList)?.lists[list - shard.firstList] ?? null) : null;
  };
  const facts = [...decoded.values()].flatMap((d) => (d.facts ? [d.facts] : []));
  return { source, degraded: degraded.sort(), facts };
}
