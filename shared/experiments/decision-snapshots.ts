import { type CatalogFacts } from "../catalog/catalog-item";
import { IMPRESSION_TTL_S } from "../online/redis-keys";

/**
 * Inputs of a list's decision that change under it and that the event log
 * cannot rebuild exactly: the trending list the funnel read from Redis, and
 * the catalogue overlay (rows changed or added since the index was built,
 * read from D1). Each is stored once in Redis under a content hash, and a
 * decision record names the hashes it used, so an offline replay decides
 * the list with the same inputs.
 *
 * Recounting trending from the event log is not exact: an erased user's
 * events leave the stream but not the anonymous counters, and a trimmed
 * stream loses the oldest events. Catalogue changes are not logged at all.
 *
 * Stored as long as the impressions that name them (IMPRESSION_TTL_S); an
 * isolate writes a snapshot once (SET NX), the first time it uses it.
 */
export const DECISION_SNAPSHOT_TTL_S = IMPRESSION_TTL_S;

export const decisionSnapshotKey = (id: string): string => `ds:${id}`;

export interface TrendingSnapshot {
  kind: "trending";
  items: { itemId: string; score: number }[];
}

/** A complete overlay only: an incomplete one sends the funnel to D1 for what it does not name, which no snapshot holds. */
export interface OverlaySnapshot {
  kind: "overlay";
  fresh: CatalogFacts[];
  rows: CatalogFacts[];
}

export type DecisionSnapshot = TrendingSnapshot | OverlaySnapshot;

/** The stored form: JSON with the rows in id order, so equal content hashes alike. */
export function encodeDecisionSnapshot(snapshot: DecisionSnapshot): string {
  if (snapshot.kind === "trending") return JSON.stringify({ kind: "trending", items: snapshot.items.map((i) => ({ itemId: i.itemId, score: i.score })) });
  const rows = [...snapshot.rows].sort((a, b) => (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0));
  return JSON.stringify({ kind: "overlay", fresh: snapshot.fresh.map(factsInOrder), rows: rows.map(factsInOrder) });
}

/** Fixed key order, whatever order the row came with (D1 and JSON keep theirs). */
const factsInOrder = (f: CatalogFacts): CatalogFacts => ({
  itemId: f.itemId,
  title: f.title,
  categories: f.categories,
  year: f.year,
  tags: f.tags,
  available: f.available,
  blockedRegions: f.blockedRegions,
});

/** A stored snapshot, or null when the value is not one (never throws on foreign data). */
export function decodeDecisionSnapshot(raw: string): DecisionSnapshot | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if (v.kind === "trending" && Array.isArray(v.items)) return { kind: "trending", items: v.items as TrendingSnapshot["items"] };
  if (v.kind === "overlay" && Array.isArray(v.fresh) && Array.isArray(v.rows))
    return { kind: "overlay", fresh: v.fresh as CatalogFacts[], rows: v.rows as CatalogFacts[] };
  return null;
}

/** The content hash naming a stored snapshot: SHA-256 of its stored form, 128 bits in hex. */
export async function decisionSnapshotId(encoded: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(encoded));
  return [...new Uint8Array(digest, 0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
