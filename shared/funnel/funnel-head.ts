import { type ItemPageReader, pagedItemLookup } from "../catalog/item-directory";
import { type ItemLookup, wholeItemLookup } from "../catalog/item-lookup";
import { decodeItemPage } from "../catalog/item-page";
import { decodeItemTable } from "../catalog/item-table";
import { decodeContentModel } from "../embeddings/content-model-blob";
import { type FoldInBlob, type FunnelSection, itemPageName } from "../index-format/funnel-section";
import { type FunnelHead } from "./ports";

/**
 * The funnel head from its blobs' bytes: the item table (or, for a paged
 * one, its directory head, with `readItemPage` fetching its pages), the
 * fold-in JSON, and the content model when the index has one.
 */
export function decodeFunnelHead(
  section: FunnelSection,
  itemTable: Uint8Array,
  foldInJson: Uint8Array,
  contentModel: Uint8Array | null,
  readItemPage: ItemPageReader | null = null,
): FunnelHead {
  const foldIn = JSON.parse(new TextDecoder().decode(foldInJson)) as FoldInBlob;
  return {
    section,
    table: itemLookupOf(section, itemTable, readItemPage),
    content: contentModel ? decodeContentModel(contentModel) : null,
    foldIn: { dims: foldIn.dims, params: foldIn.params, gram: Float64Array.from(foldIn.gram), itemCount: foldIn.itemCount },
  };
}

function itemLookupOf(section: FunnelSection, bytes: Uint8Array, readItemPage: ItemPageReader | null): ItemLookup {
  if (!section.itemPages) return wholeItemLookup(decodeItemTable(bytes));
  if (!readItemPage) throw new Error("a paged item table needs a page reader");
  const sizes = { ...section.itemPages, itemCount: section.itemCount, categoryCount: section.categories.length };
  return pagedItemLookup(decodeItemPage(bytes), sizes, readItemPage, itemPageName);
}

/**
 * A vector page's bytes as floats (size rows·dims, row-major): a view over
 * them (an isolate's cache holds the bytes it read once, not a copy too),
 * copied only when they are not 4-byte aligned.
 */
export function decodeVectorPage(bytes: Uint8Array): Float32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >>> 2);
}
