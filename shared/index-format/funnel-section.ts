import { type ItemPagesSection } from "../catalog/item-directory";
import { type ConfidenceParams } from "../embeddings/fold-in";

export const FUNNEL_FORMAT_VERSION = 1;

/** Blobs of the serving funnel; vector and co-visitation pages are named by the functions below. */
export const FUNNEL_BLOBS = {
  /**
   * Binary `ItemTable` (shared/catalog/item-table.ts): ranking facts of every
   * item, by id. A paged index (section `itemPages`) has the item directory
   * and its pages instead.
   */
  itemTable: "item-table",
  /** JSON `FoldInBlob`. */
  foldIn: "fold-in",
} as const;

/** The head of a paged item table (shared/catalog/item-directory.ts): the first id of each id page. */
export const ITEM_DIRECTORY_BLOB = "item-directory";

/** Page p of a paged item table: rows [p*rowPageSize, ...) (`rows`), or the p-th run of ids in byte order (`ids`). */
export function itemPageName(kind: "rows" | "ids", page: number): string {
  return `item-${kind}-${page}`;
}

/** The blob holding the item table's head: the whole table, or the directory of a paged one. */
export function itemTableBlob(section: Pick<FunnelSection, "itemPages">): string {
  return section.itemPages ? ITEM_DIRECTORY_BLOB : FUNNEL_BLOBS.itemTable;
}

/**
 * Page p holds the co-visitation lists of item-table rows [p*size, (p+1)*size)
 * as CVS1 (shared/covisit/covisit-codec.ts): list k of the page is row
 * p*size + k; neighbours are item-table rows. Pages keep every value far
 * below KV's 25 MiB at any catalog size, and a request reads only the pages
 * of its history.
 */
export function covisitPageName(page: number): string {
  return `covisit-${page}`;
}

/** Page p holds the vectors of item-table rows [p*pageSize, (p+1)*pageSize): f32 little-endian, row-major. */
export function vectorPageName(page: number): string {
  return `vectors-${page}`;
}

/** Page p holds the titles of item-table rows [p*titlePageSize, ...) (shared/catalog/title-page.ts). */
export function titlePageName(page: number): string {
  return `titles-${page}`;
}

/** The `fold-in` blob: what turns a few items into a user vector (shared/embeddings/fold-in.ts). */
export interface FoldInBlob {
  dims: number;
  params: ConfidenceParams;
  /** YᵀY over all item vectors, size dims*dims, row-major. */
  gram: number[];
  /** Item rows in the model (the "N" of the frequency-scaled regularization). */
  itemCount: number;
}

/** The manifest's `funnel` section. */
export interface FunnelSection {
  formatVersion: typeof FUNNEL_FORMAT_VERSION;
  /** Category names; the item table's masks index into this list. */
  categories: string[];
  itemCount: number;
  dims: number;
  /** What the vectors are (e.g. "ials-64"); the ANN index must hold the same kind. */
  embedding: string;
  vectorPageSize: number;
  vectorPages: number;
  covisitPageSize: number;
  covisitPages: number;
  /** Titles as of the build, so a response needs no catalog read per item (absent in older indexes). */
  titlePageSize?: number;
  titlePages?: number;
  /** Set when the item table is paged (large catalogs); absent: one `item-table` blob. */
  itemPages?: ItemPagesSection;
}

/** Checks a `funnel` section against the manifest's blobs; returns the first problem, or null. */
export function funnelSectionProblem(value: unknown, blobNames: Set<string>): string | null {
  if (typeof value !== "object" || value === null) return "funnel must be an object";
  const s = value as Partial<FunnelSection>;
  if (s.formatVersion !== FUNNEL_FORMAT_VERSION) return `funnel.formatVersion must be ${FUNNEL_FORMAT_VERSION}`;
  if (!Array.isArray(s.categories) || s.categories.length > 32) return "funnel.categories must list at most 32 names";
  for (const k of ["itemCount", "dims", "vectorPageSize", "vectorPages", "covisitPageSize", "covisitPages"] as const) {
    if (!Number.isSafeInteger(s[k]) || (s[k] as number) < 0) return `funnel.${k} must be a non-negative integer`;
  }
  if ((s.titlePageSize === undefined) !== (s.titlePages === undefined)) return "funnel.titlePageSize and funnel.titlePages come together";
  for (const k of ["titlePageSize", "titlePages"] as const) {
    if (s[k] !== undefined && (!Number.isSafeInteger(s[k]) || s[k] < 0)) return `funnel.${k} must be a non-negative integer`;
  }
  for (let p = 0; p < (s.titlePages ?? 0); p++) if (!blobNames.has(titlePageName(p))) return `funnel needs the "${titlePageName(p)}" blob`;
  const pages = s.itemPages;
  if (pages !== undefined) {
    if (typeof pages !== "object" || pages === null) return "funnel.itemPages must be an object";
    for (const k of ["rowPageSize", "rowPages", "idPageSize", "idPages"] as const) {
      if (!Number.isSafeInteger(pages[k]) || pages[k] < 1) return `funnel.itemPages.${k} must be a positive integer`;
    }
    if (!Number.isSafeInteger(pages.hotRows) || pages.hotRows < 0) return "funnel.itemPages.hotRows must be a non-negative integer";
    if (pages.rowPages !== Math.ceil(s.itemCount! / pages.rowPageSize)) return "funnel.itemPages.rowPages must cover itemCount";
    for (let p = 0; p < pages.rowPages; p++) if (!blobNames.has(itemPageName("rows", p))) return `funnel needs the "${itemPageName("rows", p)}" blob`;
    for (let p = 0; p < pages.idPages; p++) if (!blobNames.has(itemPageName("ids", p))) return `funnel needs the "${itemPageName("ids", p)}" blob`;
  }
  for (const name of [itemTableBlob(s), FUNNEL_BLOBS.foldIn]) if (!blobNames.has(name)) return `funnel needs the "${name}" blob`;
  for (let p = 0; p < s.vectorPages!; p++) if (!blobNames.has(vectorPageName(p))) return `funnel needs the "${vectorPageName(p)}" blob`;
  for (let p = 0; p < s.covisitPages!; p++) if (!blobNames.has(covisitPageName(p))) return `funnel needs the "${covisitPageName(p)}" blob`;
  return null;
}
