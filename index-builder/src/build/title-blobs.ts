import { decodeTitlePage, encodeTitlePage, encodeTitlePatch, type TitlePage } from "../../../shared/catalog/title-page";

/**
 * The title pages of a version published before (usually the live one),
 * which a new build may keep byte for byte. `page(p)` gives the stored
 * bytes of page p, or null when that version has no such page.
 */
export interface TitleBase {
  pageSize: number;
  page(p: number): Uint8Array | null;
}

/**
 * Most rows a title patch lists (about 40 bytes each, ~330 KiB at most): it is read whole, once per
 * isolate and version. Past it the pages with the most changed rows are written anew.
 */
export const MAX_TITLE_PATCH_ROWS = 8192;
/** A page with more changed rows than this share of its size is written anew rather than patched. */
const REWRITE_SHARE = 1 / 8;

export interface TitleBlobs {
  /** Bytes of page p (a base page's own bytes when it is kept). */
  pages: Uint8Array[];
  /** The `titles-patch` blob, or null when every kept page is exact. */
  patch: Uint8Array | null;
  /** Pages kept from the base, and rows the patch lists. */
  keptPages: number;
  patchRows: number;
}

/**
 * Title pages of `titles` (in item-table row order), `pageSize` rows each.
 * With a base of the same page size, a page whose rows equal the base
 * page's is the base page's bytes, and a page that differs in a few rows
 * (at most 1/8 of it) is kept too, its changed rows going to the patch, as
 * long as the patch stays within `maxPatchRows` (the pages with fewer
 * changes are kept first). So a build where only some titles changed shares
 * its title pages with the base and adds one small blob; a build whose rows
 * moved (new popularity order) writes fresh pages and no patch.
 */
export function titleBlobs(titles: readonly string[], pageSize: number, base: TitleBase | null = null, maxPatchRows = MAX_TITLE_PATCH_ROWS): TitleBlobs {
  return titleBlobsOf(titles.length, (row) => titles[row]!, pageSize, base, maxPatchRows);
}

/** `titleBlobs` of `rows` titles given one at a time by `titleAt`, so that no array holds them all (10M at once). */
export function titleBlobsOf(
  rows: number,
  titleAt: (row: number) => string,
  pageSize: number,
  base: TitleBase | null = null,
  maxPatchRows = MAX_TITLE_PATCH_ROWS,
): TitleBlobs {
  const count = Math.ceil(rows / pageSize);
  const fresh = (p: number) => encodeTitlePage(Array.from({ length: Math.min(rows, (p + 1) * pageSize) - p * pageSize }, (_, k) => titleAt(p * pageSize + k)));
  const pages: Uint8Array[] = new Array<Uint8Array>(count);
  const patchable: { p: number; bytes: Uint8Array; changed: { row: number; title: string }[] }[] = [];
  let keptPages = 0;
  for (let p = 0; p < count; p++) {
    const bytes = base?.pageSize === pageSize ? base.page(p) : null;
    const page = bytes ? decodedOrNull(bytes) : null;
    const first = p * pageSize;
    const pageRows = Math.min(pageSize, rows - first);
    if (!bytes || !page || page.count !== pageRows) {
      pages[p] = fresh(p);
      continue;
    }
    const changed: { row: number; title: string }[] = [];
    for (let k = 0; k < pageRows && changed.length <= pageSize * REWRITE_SHARE; k++) {
      const title = titleAt(first + k);
      if (page.title(k) !== title) changed.push({ row: first + k, title });
    }
    if (changed.length === 0) {
      pages[p] = bytes;
      keptPages++;
    } else if (changed.length <= pageSize * REWRITE_SHARE) patchable.push({ p, bytes, changed });
    else pages[p] = fresh(p);
  }
  const patched: { row: number; title: string }[] = [];
  patchable.sort((a, b) => a.changed.length - b.changed.length || a.p - b.p);
  for (const { p, bytes, changed } of patchable) {
    if (patched.length + changed.length <= maxPatchRows) {
      pages[p] = bytes;
      keptPages++;
      patched.push(...changed);
    } else pages[p] = fresh(p);
  }
  return { pages, patch: patched.length > 0 ? encodeTitlePatch(patched) : null, keptPages, patchRows: patched.length };
}

function decodedOrNull(bytes: Uint8Array): TitlePage | null {
  try {
    return decodeTitlePage(bytes);
  } catch {
    return null;
  }
}
