import { type AnnManifestSection, annSectionProblem } from "../ann/ann-manifest";
import { isObject } from "../is-object";
import { type FunnelSection, funnelSectionProblem } from "./funnel-section";
import { type LightWeights, lightWeightsProblem } from "../ranking/light-rank";
import { type RankingOrder, rankingOrderProblem } from "../ranking/ranking-order";
import { AppError } from "../errors";
import { calendarProblem } from "../calendar";
import { parseTimestamp } from "../events/event-schema";
import { BLOB_NAME_PATTERN, VERSION_PATTERN } from "./keys";

export const MANIFEST_FORMAT_VERSION = 1;

/** One blob of a version: its size and checksum, verified on publish and on read. */
export interface BlobRef {
  bytes: number;
  /** Lower-case hex SHA-256 of the blob's bytes. */
  sha256: string;
  contentType: string;
}

/** Describes one immutable index version. */
export interface IndexManifest {
  formatVersion: typeof MANIFEST_FORMAT_VERSION;
  version: string;
  /** ISO-8601 build time. */
  builtAt: string;
  /**
   * What the index was built from. `itemsAsOf` (ISO-8601, absent in manifests written before it was recorded): when
   * its item data was last changed (the item file's modification time); publication sends it with the catalog rows as
   * `catalogAsOf`, so an operator's later withdrawal or region block is not undone.
   */
  source: { dataset: string; newestInteractionAt: string; itemsAsOf?: string };
  counts: { items: number; users: number; interactions: number; categories: number };
  /** Blob name -> reference. `popular` is always present. */
  blobs: Record<string, BlobRef>;
  /** Most popular item ids, served when the popular blob cannot be read. */
  fallbackItemIds: string[];
  /** The ANN index's parameters and shard map, when the version has one. */
  ann?: AnnManifestSection;
  /** Item facts, co-visitation, fold-in data and item vectors for the serving funnel. */
  funnel?: FunnelSection;
  /**
   * Ranking chosen on this index's own validation data: the light ranker's
   * weights for a user with a vector (the Worker's WARM_LIGHT_WEIGHTS when
   * absent), and which order serves such a user (shared/ranking/ranking-order.ts;
   * absent: the heavy model when the index ships one, else the light ranker).
   * For a `source:` order the light weights are that source's alone.
   */
  ranking?: { light: LightWeights; order?: RankingOrder };
  /**
   * How the builder made this version: the import summary, the weight
   * transform, the validation carve and why it was chosen, the tuning grid
   * with its scores and the choice. For people and audits; the Worker does
   * not read it.
   */
  build?: Record<string, unknown>;
  /** How the publication pipeline's gate scored this version before it was uploaded (index-builder/src/pipeline). */
  evaluation?: ManifestEvaluation;
  /**
   * The erasure list (DELETE /v1/users/:id) the build honoured: when it was
   * read (ISO-8601; the earliest read when the base data and the events were
   * checked apart) and how many users it named. Every user erased before
   * then is absent from this version's training data; the erasure receipt
   * says so. Absent: the build did not read the list (no Redis access).
   */
  erasureList?: { readAt: string; erasedUsers: number };
}

/** A version's offline evaluation, recorded so later runs and people can see the protocol and the figures. */
export interface ManifestEvaluation {
  /** The holdout protocol, e.g. `{"kind": "global-time-cut", "heldOutFraction": 0.05, ...}` (or `"pair-hash"`: index-builder/src/pipeline/holdout.ts). */
  protocol: Record<string, unknown>;
  /** ISO-8601 time of the cut: the version trained on events before it and was scored on events after; null for a `pair-hash` holdout. */
  cutAt: string | null;
  /** Whether the version trained on the held-out events (absent in manifests written before it was recorded). */
  sawHoldout?: boolean;
  ndcgAt10: number;
  recallAt10: number;
  coverage: number;
  users: number;
}

/** The blobs every manifest of this format must list. */
export const REQUIRED_BLOBS = ["popular"] as const;

/** Parses and checks a manifest; throws `AppError("invalid_manifest")` naming the first problem. */
export function parseManifest(value: unknown): IndexManifest {
  const bad = (what: string): never => {
    throw new AppError("invalid_manifest", `manifest ${what}`);
  };
  if (!isObject(value)) return bad("must be a JSON object");
  if (value.formatVersion !== MANIFEST_FORMAT_VERSION) bad(`formatVersion must be ${MANIFEST_FORMAT_VERSION}`);
  if (typeof value.version !== "string" || !VERSION_PATTERN.test(value.version)) {
    bad("version must be 1-64 characters of A-Z a-z 0-9 . _ -");
  }
  const builtAt = dateTimeProblem(value.builtAt);
  if (builtAt) bad(`builtAt must be a date-time: ${builtAt}`);
  const source = value.source;
  if (!isObject(source) || typeof source.dataset !== "string" || typeof source.newestInteractionAt !== "string") {
    bad("source must name dataset and newestInteractionAt");
  }
  const itemsAsOf = (source as Record<string, unknown>).itemsAsOf;
  const itemsAsOfProblem = itemsAsOf === undefined ? null : dateTimeProblem(itemsAsOf);
  if (itemsAsOfProblem) bad(`source.itemsAsOf must be a date-time: ${itemsAsOfProblem}`);
  const counts = value.counts;
  if (!isObject(counts)) return bad("counts must be an object");
  for (const k of ["items", "users", "interactions", "categories"]) {
    if (!isCount(counts[k])) bad(`counts.${k} must be a non-negative integer`);
  }
  const blobs = value.blobs;
  if (!isObject(blobs)) return bad("blobs must be an object");
  for (const [name, ref] of Object.entries(blobs)) {
    if (!BLOB_NAME_PATTERN.test(name)) bad(`blob name "${name}" is not allowed`);
    if (!isObject(ref) || !isCount(ref.bytes) || typeof ref.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(ref.sha256)) {
      bad(`blobs.${name} needs bytes and a hex sha256`);
    }
    if (typeof (ref as Record<string, unknown>).contentType !== "string") bad(`blobs.${name} needs a contentType`);
  }
  for (const name of REQUIRED_BLOBS) if (!(name in blobs)) bad(`must list the "${name}" blob`);
  if (value.ann !== undefined) {
    const problem = annSectionProblem(value.ann, new Set(Object.keys(blobs)));
    if (problem) bad(problem);
  }
  const fallback = value.fallbackItemIds;
  if (!Array.isArray(fallback) || !fallback.every((id) => typeof id === "string")) {
    bad("fallbackItemIds must be an array of item ids");
  }
  if (value.funnel !== undefined) {
    const problem = funnelSectionProblem(value.funnel, new Set(Object.keys(blobs)));
    if (problem) bad(problem);
  }
  if (value.ranking !== undefined) {
    const problem = isObject(value.ranking) ? lightWeightsProblem(value.ranking.light) : "must be an object";
    if (problem) bad(`ranking.light: ${problem}`);
    const order = (value.ranking as Record<string, unknown>).order;
    const orderProblem = order === undefined ? null : rankingOrderProblem(order);
    if (orderProblem) bad(`ranking.order: ${orderProblem}`);
  }
  if (value.erasureList !== undefined) {
    const list = value.erasureList;
    const readAt = isObject(list) ? dateTimeProblem(list.readAt) : null;
    if (!isObject(list) || readAt || !isCount(list.erasedUsers)) {
      bad(`erasureList must hold readAt (a date-time) and erasedUsers (a count)${readAt ? `; readAt: ${readAt}` : ""}`);
    }
  }
  return value as unknown as IndexManifest;
}

/**
 * Why `value` is not a date-time as the builder writes them (toISOString), or null: ISO-8601 with a zone naming a
 * real moment, as an event's timestamp (shared/events/event-schema.ts). Date.parse alone rolled 2026-11-31 over to
 * December 1, and read a zone-less time in the zone of whoever read it.
 */
function dateTimeProblem(value: unknown): string | null {
  if (typeof value === "string" && parseTimestamp(value) !== null) return null;
  const calendar = typeof value === "string" ? calendarProblem(value) : null;
  if (calendar) return `${JSON.stringify(value)} names no real moment: ${calendar}`;
  return `ISO-8601 with a zone, such as 2026-12-06T04:00:00Z${typeof value === "string" ? `, not ${JSON.stringify(value)}` : ""}`;
}

function isCount(v: unknown): boolean {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
