import { decodeAnnHead } from "../../../shared/ann/ann-blobs";
import { ANN_BLOBS } from "../../../shared/ann/ann-manifest";
import { decodeShard } from "../../../shared/ann/shard-format";
import { decodeTitlePage, decodeTitlePatch, TITLE_PATCH_BLOB } from "../../../shared/catalog/title-page";
import { sha256Hex } from "../../../shared/checksum";
import { decodeCovisit } from "../../../shared/covisit/covisit-codec";
import { CONTENT_MODEL_BLOB } from "../../../shared/embeddings/content-model-blob";
import { decodeFunnelHead, decodeVectorPage } from "../../../shared/funnel/funnel-head";
import { covisitPageName, FUNNEL_BLOBS, itemPageName, itemTableBlob, titlePageName, vectorPageName } from "../../../shared/index-format/funnel-section";
import { decodeItemPage } from "../../../shared/catalog/item-page";
import { decodePopularBlob } from "../../../shared/index-format/popular";
import { type VersionBlobs } from "./load-version";

/**
 * Every problem of a version's blobs: a blob missing, of another size or
 * checksum than the manifest says, or one that the Worker's own decoders
 * refuse (item table, fold-in, content model, vector, co-visitation and
 * title pages and patch, ANN head and shards, popular list). Empty when all is well.
 */
export async function blobProblems({ manifest, blobs }: VersionBlobs): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, ref] of Object.entries(manifest.blobs)) {
    const bytes = blobs.get(name);
    if (!bytes) problems.push(`${name}: missing`);
    else if (bytes.byteLength !== ref.bytes) problems.push(`${name}: ${bytes.byteLength} bytes, manifest says ${ref.bytes}`);
    else if ((await sha256Hex(bytes)) !== ref.sha256) problems.push(`${name}: checksum differs from the manifest`);
  }
  if (problems.length > 0) return problems;
  const decode = (name: string, check: (bytes: Uint8Array) => unknown) => {
    const bytes = blobs.get(name);
    if (!bytes) return;
    try {
      check(bytes);
    } catch (err) {
      problems.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  decode("popular", decodePopularBlob);
  const funnel = manifest.funnel;
  if (funnel) {
    decode(itemTableBlob(funnel), (table) => {
      const pageReader = async () => ({ fault: "not read here" });
      const head = decodeFunnelHead(funnel, table, blobs.get(FUNNEL_BLOBS.foldIn)!, blobs.get(CONTENT_MODEL_BLOB) ?? null, pageReader);
      if (head.table.count !== funnel.itemCount) throw new Error(`item table has ${head.table.count} rows, manifest says ${funnel.itemCount}`);
    });
    for (let p = 0; p < funnel.vectorPages; p++) {
      decode(vectorPageName(p), (bytes) => {
        const values = decodeVectorPage(bytes);
        if (values.length % funnel.dims !== 0) throw new Error(`not a whole number of ${funnel.dims}-dim vectors`);
        if (!values.every(Number.isFinite)) throw new Error("holds a non-finite value");
      });
    }
    for (let p = 0; p < funnel.covisitPages; p++) decode(covisitPageName(p), decodeCovisit);
    for (let p = 0; p < (funnel.itemPages?.rowPages ?? 0); p++) decode(itemPageName("rows", p), decodeItemPage);
    for (let p = 0; p < (funnel.itemPages?.idPages ?? 0); p++) decode(itemPageName("ids", p), decodeItemPage);
    for (let p = 0; p < (funnel.titlePages ?? 0); p++) decode(titlePageName(p), decodeTitlePage);
    decode(TITLE_PATCH_BLOB, (bytes) => {
      if (decodeTitlePatch(bytes).lastRow >= funnel.itemCount) throw new Error(`patches a row past the item table's ${funnel.itemCount}`);
    });
  }
  const ann = manifest.ann;
  if (ann) {
    decode(ANN_BLOBS.centroids, (centroids) =>
      decodeAnnHead(ann, { centroids, codebooks: blobs.get(ANN_BLOBS.codebooks)!, sq8: blobs.get(ANN_BLOBS.sq8) ?? null }),
    );
    for (const shard of ann.shards) decode(shard.name, (bytes) => decodeShard(bytes, { ...ann, ...shard }));
  }
  return problems;
}
