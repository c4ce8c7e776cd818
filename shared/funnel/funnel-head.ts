import { decodeItemTable } from "../catalog/item-table";
import { decodeContentModel } from "../embeddings/content-model-blob";
import { type FoldInBlob, type FunnelSection } from "../index-format/funnel-section";
import { type FunnelHead } from "./ports";

/** The funnel head from its blobs' bytes: the item table, the fold-in JSON, and the content model when the index has one. */
export function decodeFunnelHead(section: FunnelSection, itemTable: Uint8Array, foldInJson: Uint8Array, contentModel: Uint8Array | null): FunnelHead {
  const foldIn = JSON.parse(new TextDecoder().decode(foldInJson)) as FoldInBlob;
  return {
    section,
    table: decodeItemTable(itemTable),
    content: contentModel ? decodeContentModel(contentModel) : null,
    foldIn: { dims: foldIn.dims, params: foldIn.params, gram: Float64Array.from(foldIn.gram), itemCount: foldIn.itemCount },
  };
}

/** A vector page's bytes as floats (size rows·dims, row-major); copied, so the view is aligned. */
export function decodeVectorPage(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.slice().buffer);
}
