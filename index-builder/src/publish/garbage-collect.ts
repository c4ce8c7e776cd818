import { AdminClient, type AdminClientOptions } from "./admin-client";
import { experimentVersions } from "./versions-in-use";

export interface GcOptions extends AdminClientOptions {
  /** How many of the versions most recently made current to keep (besides the current one and those experiments pin). */
  keep: number;
  /** Delete only when true; otherwise report what would go. */
  apply: boolean;
  /** Spare blobs and versions younger than this: a publication may be uploading them (default 1 h). */
  graceMs?: number;
  nowMs?: number;
  log?: (line: string) => void;
}

export interface GcPlan {
  keptVersions: string[];
  /** Kept because a draft or running experiment pins them. */
  pinnedByExperiments: string[];
  deletedVersions: string[];
  deletedBlobs: number;
  deletedBytes: number;
  keptBlobs: number;
  applied: boolean;
}

/**
 * Garbage collection of published indexes. Kept: the current version,
 * every version a draft or running experiment's variant pins (the canary's
 * candidate among them), the last `keep` versions made current, and
 * versions built within the grace period. Every other manifest is deleted,
 * then every blob no kept manifest lists and older than the grace period.
 * Dry-run unless `apply`. The Worker refuses to delete the current version,
 * a version an unstopped experiment pins, or any blob they list, whatever
 * this computes.
 */
export async function garbageCollect(options: GcOptions): Promise<GcPlan> {
  const log = options.log ?? (() => {});
  const client = new AdminClient(options);
  const nowMs = options.nowMs ?? Date.now();
  const graceMs = options.graceMs ?? 3_600_000;
  const { versions, current, history } = await client.versions();
  const pinned = await experimentVersions(client);
  const keep = new Set<string>(pinned);
  if (current) keep.add(current);
  const recent: string[] = [];
  for (let i = history.length - 1; i >= 0 && recent.length < options.keep; i--) {
    if (!recent.includes(history[i]!.version)) recent.push(history[i]!.version);
  }
  for (const v of recent) keep.add(v);
  for (const v of versions) if (v.builtAt === null || nowMs - Date.parse(v.builtAt) < graceMs) keep.add(v.version);
  const published = new Set(versions.map((v) => v.version));
  const kept = [...keep].filter((v) => published.has(v)).sort();
  const deletedVersions = versions
    .map((v) => v.version)
    .filter((v) => !keep.has(v))
    .sort();

  const referenced = new Set<string>();
  for (const version of kept) for (const ref of Object.values((await client.manifest(version)).blobs)) referenced.add(ref.sha256);
  const stored = await client.storedBlobs();
  const doomed = [...stored.values()].filter((b) => !referenced.has(b.sha256) && nowMs - (b.storedAtMs ?? 0) >= graceMs);
  const plan: GcPlan = {
    keptVersions: kept,
    pinnedByExperiments: [...pinned].filter((v) => published.has(v)).sort(),
    deletedVersions,
    deletedBlobs: doomed.length,
    deletedBytes: doomed.reduce((a, b) => a + b.bytes, 0),
    keptBlobs: stored.size - doomed.length,
    applied: options.apply,
  };
  log(
    `gc${options.apply ? "" : " (dry run)"}: keep ${kept.length} version(s) [${kept.join(", ")}], delete ${deletedVersions.length} [${deletedVersions.join(", ")}]; delete ${doomed.length} blob(s) (${plan.deletedBytes} bytes), keep ${plan.keptBlobs}`,
  );
  if (!options.apply) return plan;
  // Manifests first: a blob is deleted only once no listed version names it.
  for (const version of deletedVersions) await client.deleteVersion(version);
  for (const blob of doomed) await client.deleteBlob(blob.sha256);
  return plan;
}
