import { type IvfPqParams } from "./ivfpq-index";

export const ANN_FORMAT_VERSION = 1;

/** Blobs every ANN index has; shards are named in `AnnManifestSection.shards`. */
export const ANN_BLOBS = {
  /** f32 little-endian, size nlist*dims, row-major. */
  centroids: "ann-centroids",
  /** f32 little-endian, size m*ksub*dsub, layout (m, ksub, dsub), ksub = 2^nbits. */
  codebooks: "ann-codebooks",
  /** f32 little-endian: min (size dims) then step (size dims); only with rescore "sq8". */
  sq8: "ann-sq8",
  /** JSON `AnnItems`: the item id and the list of every position. */
  items: "ann-items",
} as const;

/** The `ann-items` blob: position i is item `ids[i]`, stored in list `lists[i]`. */
export interface AnnItems {
  ids: string[];
  lists: number[];
}

/** One shard: a run of consecutive inverted lists in one KV value. */
export interface AnnShardRef {
  name: string;
  firstList: number;
  listCount: number;
  vectors: number;
}

/**
 * Serving knobs the builder measured for this index: the smallest nprobe
 * whose mean recall@100 against brute-force search reached `targetRecall`
 * on `queries` sampled query vectors (nlist when none did).
 */
export interface AnnCalibration {
  /** Inverted lists to probe, 1..nlist. */
  nprobe: number;
  /** PQ candidates re-scored with SQ8 at that recall. */
  shortlist: number;
  /** Mean recall@100 measured at `nprobe`, in [0, 1]. */
  recallAt100: number;
  queries: number;
  targetRecall: number;
}

/** The manifest's `ann` section: the index's parameters and shard map. */
export interface AnnManifestSection extends IvfPqParams {
  formatVersion: typeof ANN_FORMAT_VERSION;
  /** Vectors indexed. */
  count: number;
  /** What the vectors are (e.g. "ials-64"), so a reader knows which query vectors fit. */
  embedding: string;
  /** In list order, covering lists 0..nlist-1 without gaps. */
  shards: AnnShardRef[];
  /** Absent in indexes built before calibration; readers then use their own defaults. */
  calibration?: AnnCalibration;
  /**
   * "item-table": the ids stored in the lists are rows of the funnel's item
   * table (its id bytes name the item; its vector pages hold the vector), and
   * there is no `ann-items` blob. Absent: ids are positions in `ann-items`.
   * At a million items that blob is 14 MB of JSON and, parsed with its
   * reverse map, most of an isolate's memory.
   */
  idSpace?: "item-table";
}

/** Checks an `ann` section against the manifest's blobs; returns the first problem, or null. */
export function annSectionProblem(value: unknown, blobNames: Set<string>): string | null {
  if (typeof value !== "object" || value === null) return "ann must be an object";
  const s = value as Partial<AnnManifestSection>;
  if (s.formatVersion !== ANN_FORMAT_VERSION) return `ann.formatVersion must be ${ANN_FORMAT_VERSION}`;
  if (s.metric !== "ip" && s.metric !== "l2") return 'ann.metric must be "ip" or "l2"';
  if (s.rescore !== "sq8" && s.rescore !== "none") return 'ann.rescore must be "sq8" or "none"';
  if (s.nbits !== 4 && s.nbits !== 8) return "ann.nbits must be 4 or 8";
  if (s.nbits === 4 && s.m! % 2 !== 0) return "ann.m must be even for 4-bit codes";
  for (const key of ["dims", "nlist", "m", "count"] as const) {
    if (!Number.isSafeInteger(s[key]) || (s[key] as number) < 0) return `ann.${key} must be a non-negative integer`;
  }
  if (s.dims! % 16 !== 0 || s.dims! % s.m! !== 0) return "ann.dims must be a multiple of 16 and of ann.m";
  if (typeof s.embedding !== "string") return "ann.embedding must be a string";
  if (!Array.isArray(s.shards)) return "ann.shards must be an array";
  let next = 0;
  for (const shard of s.shards) {
    if (shard.firstList !== next || !(shard.listCount > 0)) return "ann.shards must cover the lists in order without gaps";
    if (!blobNames.has(shard.name)) return `ann shard "${shard.name}" is not among the blobs`;
    next += shard.listCount;
  }
  if (next !== s.nlist) return "ann.shards must cover every list";
  if (s.calibration !== undefined) {
    const problem = calibrationProblem(s.calibration, s.nlist!);
    if (problem) return problem;
  }
  if (s.idSpace !== undefined && s.idSpace !== "item-table") return 'ann.idSpace must be "item-table" when present';
  const needed: string[] = [ANN_BLOBS.centroids, ANN_BLOBS.codebooks, ...(s.idSpace ? [] : [ANN_BLOBS.items]), ...(s.rescore === "sq8" ? [ANN_BLOBS.sq8] : [])];
  const absent = needed.find((name) => !blobNames.has(name));
  return absent ? `ann needs the "${absent}" blob` : null;
}

function calibrationProblem(value: unknown, nlist: number): string | null {
  if (typeof value !== "object" || value === null) return "ann.calibration must be an object";
  const c = value as Partial<AnnCalibration>;
  if (!Number.isSafeInteger(c.nprobe) || c.nprobe! < 1 || c.nprobe! > nlist) return "ann.calibration.nprobe must be an integer from 1 to ann.nlist";
  for (const key of ["shortlist", "queries"] as const) {
    if (!Number.isSafeInteger(c[key]) || c[key]! < 0) return `ann.calibration.${key} must be a non-negative integer`;
  }
  for (const key of ["recallAt100", "targetRecall"] as const) {
    if (typeof c[key] !== "number" || !(c[key] >= 0 && c[key] <= 1)) return `ann.calibration.${key} must be a number from 0 to 1`;
  }
  return null;
}

/** The shard holding `list` (binary search over the shard map). */
export function shardOfList(section: AnnManifestSection, list: number): AnnShardRef | null {
  let lo = 0;
  let hi = section.shards.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const shard = section.shards[mid]!;
    if (list < shard.firstList) hi = mid - 1;
    else if (list >= shard.firstList + shard.listCount) lo = mid + 1;
    else return shard;
  }
  return null;
}
