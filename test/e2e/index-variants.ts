import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { floatBytes } from "../../shared/ann/ann-blobs";
import { type CatalogItem } from "../../shared/catalog/catalog-item";
import { decodeTitlePage, encodeTitlePage } from "../../shared/catalog/title-page";
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
    manifest.blobs[name] = { ...manifest.blobs[name]!, bytes: bytes.byteLength, sha256: await sha256Hex(bytes) };
  }
  delete manifest.evaluation;
  await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, version }, null, 2));
  await writeFile(join(dir, "catalog.json"), JSON.stringify(catalog));
  return dir;
}

/** Only the catalog changed: the titles of the first `n` items of the first title page (and in catalog.json). */
export function retitle(n: number, suffix: string) {
  return (manifest: IndexManifest, blobs: Map<string, Uint8Array>, catalog: CatalogItem[]) => {
    const name = titlePageName(0);
    const page = decodeTitlePage(blobs.get(name)!);
    const titles = Array.from({ length: page.count }, (_, k) => (k < n ? `${page.title(k)} ${suffix}` : page.title(k)));
    blobs.set(name, encodeTitlePage(titles));
    const renamed = new Set(titles.slice(0, n));
    for (const item of catalog) if (renamed.has(`${item.title} ${suffix}`)) item.title = `${item.title} ${suffix}`;
  };
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
