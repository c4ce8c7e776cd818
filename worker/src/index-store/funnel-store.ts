import { SharedLoads } from "../cache/shared-loads";
import { type FunnelHead } from "../../../shared/funnel/ports";
import { decodeItemPage, type ItemPage } from "../../../shared/catalog/item-page";
import { decodeTitlePage, decodeTitlePatch, TITLE_PATCH_BLOB, type TitlePage, type TitlePatch } from "../../../shared/catalog/title-page";
import { decodeCovisit } from "../../../shared/covisit/covisit-codec";
import { type CovisitLists, neighborsOf } from "../../../shared/covisit/covisit-lists";
import { CONTENT_MODEL_BLOB } from "../../../shared/embeddings/content-model-blob";
import { decodeFunnelHead, decodeVectorPage } from "../../../shared/funnel/funnel-head";
import { covisitPageName, FUNNEL_BLOBS, itemPageName, itemTableBlob, titlePageName, vectorPageName } from "../../../shared/index-format/funnel-section";
import { readVerifiedBlob } from "../../../shared/index-format/index-reader";
import { type IndexManifest } from "../../../shared/index-format/manifest";
import { cachePart, type CachePart, chargeHead, releaseHead } from "../cache/isolate-cache";

const heads = new Map<string, FunnelHead>();
const MAX_HEADS = 2;
/** Vector, co-visitation and title pages of every version, in the isolate's one byte budget (cache-budget.ts). */
const pages = cachePart<Float32Array>("vector-page");
const covisitPages = cachePart<CovisitLists & { facts: ItemPage | null }>("covisit-page");
const titlePages = cachePart<TitlePage>("title-page");
const titlePatches = cachePart<TitlePatch>("title-patch");
/** Row and id pages of paged item tables (shared/catalog/item-directory.ts). */
const itemPages = cachePart<ItemPage>("item-page");

/** The funnel head of a version, verified; a fault value names the unusable blob. */
export async function loadFunnelHead(kv: KVNamespace, manifest: IndexManifest): Promise<FunnelHead | { degraded: string }> {
  const section = manifest.funnel;
  if (!section) return { degraded: "funnel_not_built" };
  pageReadsVia.set(manifest.version, kv);
  const hit = heads.get(manifest.version);
  if (hit) return hit;
  return loadingHeads.load(manifest.version, () => readFunnelHead(kv, manifest, section));
}

/**
 * The KV binding a version's item pages are read through: the one of the
 * request that last asked for the head. A head outlives the request that
 * loaded it, and each request wraps its binding (to count its KV reads,
 * http/count-kv-reads.ts, and in development to inject faults), so page
 * reads go through a current request's binding, not the first one's.
 */
const pageReadsVia = new Map<string, KVNamespace>();

/** Heads being read: concurrent requests (and the version's warm-up, index-cache.ts) read them once. */
const loadingHeads = new SharedLoads<FunnelHead | { degraded: string }>();

async function readFunnelHead(
  kv: KVNamespace,
  manifest: IndexManifest,
  section: NonNullable<IndexManifest["funnel"]>,
): Promise<FunnelHead | { degraded: string }> {
  const names: string[] = [itemTableBlob(section), FUNNEL_BLOBS.foldIn];
  if (manifest.blobs[CONTENT_MODEL_BLOB]) names.push(CONTENT_MODEL_BLOB);
  const reads = await Promise.all(names.map((name) => readVerifiedBlob(kv, manifest, name)));
  const bytes: Uint8Array[] = [];
  for (const [i, read] of reads.entries()) {
    if ("fault" in read) return { degraded: `${names[i]}_${read.fault}` };
    bytes.push(read.bytes);
  }
  const head = decodeFunnelHead(section, bytes[0]!, bytes[1]!, bytes[2] ?? null, (kind, page) =>
    readItemPage(pageReadsVia.get(manifest.version) ?? kv, manifest, itemPageName(kind, page)),
  );
  heads.set(manifest.version, head);
  chargeHead(`funnel-head:${manifest.version}`, bytes.reduce((sum, b) => sum + b.byteLength, 0) + hotRowBytes(section));
  while (heads.size > MAX_HEADS) {
    const oldest = heads.keys().next().value!;
    heads.delete(oldest);
    pageReadsVia.delete(oldest);
    releaseHead(`funnel-head:${oldest}`);
  }
  return head;
}

/**
 * What a paged table's hot rows keep besides their blobs: an entry by id per
 * row (the id string, a small object, a map slot; about 128 bytes measured
 * the V8 way, roughly), and their row pages, which the head holds for its life.
 */
function hotRowBytes(section: NonNullable<IndexManifest["funnel"]>): number {
  const pages = section.itemPages;
  return pages ? pages.hotRows * 128 + Math.ceil(pages.hotRows / pages.rowPageSize) * pages.rowPageSize * 32 : 0;
}

/** A page of a paged item table, from the isolate's LRU or KV (checksum verified). */
function readItemPage(kv: KVNamespace, manifest: IndexManifest, name: string): Promise<{ value: ItemPage } | { fault: string }> {
  return itemPages.getOrLoad(`${manifest.version}/${name}`, async () => {
    const blob = await readVerifiedBlob(kv, manifest, name);
    return "fault" in blob ? { fault: blob.fault } : { value: decodeItemPage(blob.bytes), bytes: blob.bytes.byteLength };
  });
}

/**
 * The pages holding `rows` (page = row / pageSize), each read once: from the
 * isolate's LRU, else from KV with its checksum verified. A missing or
 * corrupt page is named in `degraded`; its rows are simply absent.
 */
async function pagesOfRows<T>(
  kv: KVNamespace,
  manifest: IndexManifest,
  rows: readonly number[],
  pageSize: number,
  pageName: (page: number) => string,
  cache: CachePart<T>,
  decode: (bytes: Uint8Array) => T,
): Promise<{ loaded: Map<number, T>; degraded: string[] }> {
  const degraded: string[] = [];
  const loaded = new Map<number, T>();
  await Promise.all(
    [...new Set(rows.map((row) => Math.floor(row / pageSize)))].map(async (page) => {
      const name = pageName(page);
      const read = await cache.getOrLoad(`${manifest.version}/${name}`, async () => {
        const blob = await readVerifiedBlob(kv, manifest, name);
        return "fault" in blob ? { fault: blob.fault } : { value: decode(blob.bytes), bytes: blob.bytes.byteLength };
      });
      if ("fault" in read) {
        degraded.push(`${name}_${read.fault}`);
        return;
      }
      loaded.set(page, read.value);
    }),
  );
  return { loaded, degraded: degraded.sort() };
}

/** The stored vectors of item-table rows (size dims each). */
export async function vectorsOfRows(
  kv: KVNamespace,
  manifest: IndexManifest,
  head: FunnelHead,
  rows: readonly number[],
): Promise<{ vectors: Map<number, Float32Array>; degraded: string[] }> {
  const { vectorPageSize: size, dims } = head.section;
  const { loaded, degraded } = await pagesOfRows(kv, manifest, rows, size, vectorPageName, pages, decodeVectorPage);
  const vectors = new Map<number, Float32Array>();
  for (const row of rows) {
    const page = loaded.get(Math.floor(row / size));
    if (!page) continue;
    const at = (row % size) * dims;
    vectors.set(row, page.subarray(at, at + dims));
  }
  return { vectors, degraded };
}

/** Neighbour lists of a set of rows, from their co-visitation pages. */
export async function covisitOfRows(
  kv: KVNamespace,
  manifest: IndexManifest,
  head: FunnelHead,
  rows: readonly number[],
): Promise<{ neighborsOf: (row: number) => { items: Uint32Array; scores: Float32Array }; degraded: string[]; facts: ItemPage[] }> {
  const size = head.section.covisitPageSize;
  const { loaded, degraded } = await pagesOfRows(kv, manifest, rows, size, covisitPageName, covisitPages, decodeCovisitPage);
  const empty = { items: new Uint32Array(0), scores: new Float32Array(0) };
  return {
    facts: [...loaded.values()].flatMap((page) => (page.facts ? [page.facts] : [])),
    neighborsOf: (row) => {
      const lists = loaded.get(Math.floor(row / size));
      return lists ? neighborsOf(lists, row % size) : empty;
    },
    degraded,
  };
}

/** A co-visitation page with its facts page decoded. */
function decodeCovisitPage(bytes: Uint8Array): CovisitLists & { facts: ItemPage | null } {
  const page = decodeCovisit(bytes);
  return { ...page, facts: page.facts ? decodeItemPage(page.facts) : null };
}

/** Titles of item-table rows as of the build; null when the index has no title pages. */
export async function titlesOfRows(
  kv: KVNamespace,
  manifest: IndexManifest,
  head: FunnelHead,
  rows: readonly number[],
): Promise<{ titles: Map<number, string>; degraded: string[] } | null> {
  const size = head.section.titlePageSize;
  if (!size) return null;
  // A version may share its title pages with an earlier one and list the titles changed since in its patch.
  const [{ loaded, degraded }, patch] = await Promise.all([
    pagesOfRows(kv, manifest, rows, size, titlePageName, titlePages, decodeTitlePage),
    manifest.blobs[TITLE_PATCH_BLOB]
      ? titlePatches.getOrLoad(`${manifest.version}/${TITLE_PATCH_BLOB}`, async () => {
          const blob = await readVerifiedBlob(kv, manifest, TITLE_PATCH_BLOB);
          return "fault" in blob ? { fault: blob.fault } : { value: decodeTitlePatch(blob.bytes), bytes: blob.bytes.byteLength };
        })
      : null,
  ]);
  if (patch && "fault" in patch) degraded.push(`${TITLE_PATCH_BLOB}_${patch.fault}`);
  const patched = patch && "value" in patch ? patch.value : null;
  const titles = new Map<number, string>();
  for (const row of rows) {
    const title = patched?.title(row) ?? loaded.get(Math.floor(row / size))?.title(row % size);
    if (title) titles.set(row, title);
  }
  return { titles, degraded: degraded.sort() };
}
