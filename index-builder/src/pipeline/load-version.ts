import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type EncodedBlob } from "../../../shared/ann/ann-blobs";
import { type IndexManifest } from "../../../shared/index-format/manifest";
import { decodePopularBlob } from "../../../shared/index-format/popular";
import { parseRankerSpec, RANKER_BLOBS } from "../../../shared/ranking/onnx-ranker";
import { type MemoryIndex } from "../funnel/memory-index";
import { type AdminClient } from "../publish/admin-client";
import { type RankerModel, rankerFromOnnx } from "../../../shared/ranking/ranker-model";
import { readBuiltManifest } from "../publish/publish-index";

/** A version's manifest and blob bytes, as built or as published. */
export interface VersionBlobs {
  manifest: IndexManifest;
  blobs: Map<string, Uint8Array>;
}

/** A built version directory's blobs; a file the manifest lists but the directory lacks is left out (the check names it). */
export async function readBuiltVersion(dir: string): Promise<VersionBlobs> {
  const manifest = await readBuiltManifest(dir);
  const blobs = new Map<string, Uint8Array>();
  for (const name of Object.keys(manifest.blobs)) {
    const bytes = await readFile(join(dir, "blobs", name)).catch(() => null);
    if (bytes) blobs.set(name, new Uint8Array(bytes));
  }
  return { manifest, blobs };
}

/**
 * A published version's blobs read back through the Worker's admin API,
 * each kept in `cacheDir` under its checksum (blobs are immutable), so the
 * next run downloads only blobs it has not seen.
 */
export async function downloadVersion(client: AdminClient, version: string, cacheDir: string): Promise<VersionBlobs> {
  const manifest = await client.manifest(version);
  await mkdir(cacheDir, { recursive: true });
  // One download per checksum: two names may hold the same bytes.
  const shas = [...new Set(Object.values(manifest.blobs).map((ref) => ref.sha256))];
  const bytesOf = new Map<string, Uint8Array>();
  let next = 0;
  const worker = async () => {
    while (next < shas.length) {
      const sha256 = shas[next++]!;
      const file = join(cacheDir, sha256);
      let bytes: Uint8Array | null = await readFile(file).then(
        (b) => new Uint8Array(b),
        () => null,
      );
      if (!bytes) {
        bytes = await client.blob(sha256);
        await writeFile(`${file}.tmp`, bytes);
        await rename(`${file}.tmp`, file);
      }
      bytesOf.set(sha256, bytes);
    }
  };
  await Promise.all(Array.from({ length: Math.min(6, shas.length) }, worker));
  const blobs = new Map(Object.entries(manifest.blobs).map(([name, ref]) => [name, bytesOf.get(ref.sha256)!]));
  return { manifest, blobs };
}

/** The in-memory index the builder's funnel ports serve from (index-builder/src/funnel). */
export function memoryIndexOf({ manifest, blobs }: VersionBlobs): MemoryIndex {
  if (!manifest.funnel) throw new Error(`version ${manifest.version} has no funnel section; it predates the served funnel`);
  const encoded = new Map<string, EncodedBlob>();
  for (const [name, bytes] of blobs) encoded.set(name, { bytes, contentType: manifest.blobs[name]?.contentType ?? "application/octet-stream" });
  const popular = blobs.get("popular");
  return {
    version: manifest.version,
    blobs: encoded,
    funnel: manifest.funnel,
    ann: manifest.ann ?? null,
    popular: popular ? decodePopularBlob(popular) : { asOf: manifest.builtAt, halfLifeDays: 1, items: [], byCategory: {} },
    fallbackItemIds: manifest.fallbackItemIds,
    lightWeights: manifest.ranking?.light ?? null,
    order: manifest.ranking?.order ?? null,
  };
}

/**
 * The version's heavy ranker as the Worker would load it (worker/src/ranker/load-ranker.ts):
 * null when it ships none, a `degraded` code when its spec or model cannot be used.
 */
export function rankerOfVersion({ manifest, blobs }: VersionBlobs): RankerModel | { degraded: string } | null {
  const model = blobs.get(RANKER_BLOBS.model);
  const spec = blobs.get(RANKER_BLOBS.spec);
  const modelRef = manifest.blobs[RANKER_BLOBS.model];
  if (!modelRef || !manifest.blobs[RANKER_BLOBS.spec]) return null;
  if (!model) return { degraded: `${RANKER_BLOBS.model}_missing` };
  if (!spec) return { degraded: `${RANKER_BLOBS.spec}_missing` };
  const parsed = parseRankerSpec(spec);
  if ("problem" in parsed) return { degraded: parsed.problem };
  if (parsed.spec.modelSha256 !== modelRef.sha256) return { degraded: "ranker_spec_mismatch" };
  try {
    return rankerFromOnnx(model);
  } catch {
    return { degraded: "ranker_model_invalid" };
  }
}
