import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { floatBytes } from "../../shared/ann/ann-blobs";
import { type CatalogItem } from "../../shared/catalog/catalog-item";
import { decodeTitlePage, decodeTitlePatch, TITLE_PATCH_BLOB } from "../../shared/catalog/title-page";
import { titleBlobs } from "../../index-builder/src/build/title-blobs";
import { sha256Hex } from "../../shared/checksum";
import { decodeVectorPage } from "../../shared/funnel/funnel-head";
import { titlePageName, vectorPageName } from "../../shared/index-format/funnel-section";
import { type IndexManifest } from "../../shared/index-format/manifest";
import { SeededRandom } from "../../shared/seeded-random";

/**
 * A new version derived from a built one, as a later build would write it:
 * `edit` rewrites some blobs (and the catalog), then every ref is
 * recomputed and the version gets its own name. Untouched blobs keep their
 * bytes, so they share content addresses with the source.
 */
export async function deriveVersion(
  sourceDir: string,
  outDir: string,
  version: string,
  edit: (manifest: IndexManifest, blobs: Map<string, Uint8Array>, catalog: CatalogItem[]) => void,
): Promise<string> {
  const dir = join(outDir, version);
  await cp(sourceDir, dir, { recursive: true });
  const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as IndexManifest;
  const catalog = JSON.parse(await readFile(join(dir, "catalog.json"), "utf8")) as CatalogItem[];
  const blobs = new Map<string, Uint8Array>();
  for (const name of Object.keys(manifest.blobs)) blobs.set(name, new Uint8Array(await readFile(join(dir, "blobs", name))));
  edit(manifest, blobs, catalog);
  for (const [name, bytes] of blobs) {
    await writeFile(join(dir, "blobs", name), bytes);
    manifest.blobs[name] = { contentType: "application/octet-stream", ...manifest.blobs[name], bytes: bytes.byteLength, sha256: await sha256Hex(bytes) };
  }
  delete manifest.evaluation;
  await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, version }, null, 2));
  await writeFile(join(dir, "catalog.json"), JSON.stringify(catalog));
  return dir;
}

/**
 * Only the catalog changed: the first `n` items of the item table get new titles (in catalog.json too), and
 * the version's title blobs are what a build on top of the source writes: its pages, and a patch of those rows.
 */
export function retitle(n: number, suffix: string) {
  return (manifest: IndexManifest, blobs: Map<string, Uint8Array>, catalog: CatalogItem[]) => {
    const renamed = new Set(titlesInRowOrder(manifest, blobs).slice(0, n));
    retitleRows(manifest, blobs, (_, row) => row < n, suffix);
    for (const item of catalog) if (renamed.has(item.title)) item.title = `${item.title} ${suffix}`;
  };
}

/** Gives the item-table rows `which` picks new titles (`<title> <suffix>`) as a build on top of these blobs writes them (title-blobs.ts). */
export function retitleRows(manifest: IndexManifest, blobs: Map<string, Uint8Array>, which: (title: string, row: number) => boolean, suffix: string): void {
  const size = manifest.funnel!.titlePageSize!;
  const titles = titlesInRowOrder(manifest, blobs).map((t, row) => (which(t, row) ? `${t} ${suffix}` : t));
  const built = titleBlobs(titles, size, { pageSize: size, page: (p) => blobs.get(titlePageName(p)) ?? null });
  built.pages.forEach((bytes, p) => blobs.set(titlePageName(p), bytes));
  if (built.patch) blobs.set(TITLE_PATCH_BLOB, built.patch);
  else {
    blobs.delete(TITLE_PATCH_BLOB);
    delete manifest.blobs[TITLE_PATCH_BLOB];
  }
}

/** Every title as the version's pages and patch give it, in item-table row order. */
function titlesInRowOrder(manifest: IndexManifest, blobs: Map<string, Uint8Array>): string[] {
  const patch = blobs.has(TITLE_PATCH_BLOB) ? decodeTitlePatch(blobs.get(TITLE_PATCH_BLOB)!) : null;
  const size = manifest.funnel!.titlePageSize!;
  return Array.from({ length: manifest.funnel!.titlePages! }, (_, p) => decodeTitlePage(blobs.get(titlePageName(p))!)).flatMap((page, p) =>
    Array.from({ length: page.count }, (_, k) => patch?.title(p * size + k) ?? page.title(k)),
  );
}

/** A deliberately bad model: every item's vector moved to another item (seeded permutation), all bytes well-formed. */
export function shuffleEmbeddings(seed: number) {
  return (manifest: IndexManifest, blobs: Map<string, Uint8Array>) => {
    const funnel = manifest.funnel!;
    const { dims, vectorPageSize: size, vectorPages, itemCount } = funnel;
    const all = new Float32Array(itemCount * dims);
    for (let p = 0; p < vectorPages; p++) all.set(decodeVectorPage(blobs.get(vectorPageName(p))!), p * size * dims);
    const order = Array.from({ length: itemCount }, (_, i) => i);
    const random = new SeededRandom(seed);
    for (let i = order.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const shuffled = new Float32Array(all.length);
    order.forEach((from, to) => shuffled.set(all.subarray(from * dims, (from + 1) * dims), to * dims));
    for (let p = 0; p < vectorPages; p++) {
      const rows = Math.min(size, itemCount - p * size);
      blobs.set(vectorPageName(p), floatBytes(shuffled.slice(p * size * dims, (p * size + rows) * dims)));
    }
  };
}
