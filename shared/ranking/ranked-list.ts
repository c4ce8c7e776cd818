import { SOURCES, type Source } from "./candidate";
import { type FunnelKnobs } from "../funnel/knobs";
import { type AppliedExploration } from "./policy/exploration";
import { type RankingOrder, rankingOrderProblem } from "./ranking-order";

/** One item of a ranked list, before titles and reasons are rendered for the page that shows it. */
export interface RankedEntry {
  itemId: string;
  score: number;
  sources: Source[];
  /** The history item that led a co-visitation source here. */
  becauseOf?: string;
  explored: boolean;
  propensity: number;
  /** The user's interests among the item's categories (for "because you like"). */
  interests: string[];
}

/** A ranked list as cached: everything but the per-showing impression id and the rendered page. */
export interface RankedList {
  indexVersion: string;
  sessionVersion: number;
  region: string;
  entries: RankedEntry[];
  /** Titles of items already rendered from this list (its first page, and the items its reasons name). */
  titles: Record<string, string>;
  degraded: string[];
  ranker: RankingOrder;
  /** How the list was decided, beyond the session version: what an exact offline replay needs (shared/experiments/exposure.ts). */
  decision?: ListDecisionInputs;
}

/** The inputs of a list's decision that neither the index nor the event log holds. */
export interface ListDecisionInputs {
  /** The funnel's clock (epoch ms): what recency features and affinities were measured from. */
  atMs: number;
  /** When the trending list the funnel read left Redis (the isolate memoizes it); null when none was read. */
  trendingAsOfMs: number | null;
  exploration: AppliedExploration;
  /** Items the request left out (its exclude parameter, what a paging session already showed). */
  excludeIds: string[];
  /** The session's impression counts summed (impression-table.ts impressionTotal): which earlier showings it held. */
  shownTotal: number;
  /** The user's declared categories (their profile), which the event log does not hold. */
  profileCategories: string[];
  /** The knobs the funnel ran with: the variant's, with the policy as resolved over the surface's configuration. */
  knobs: FunnelKnobs;
  /** The editorial list the funnel read. */
  editorial: string[];
  /** Catalogue rows the overlay held beyond the index; 0: the index alone described the catalogue. */
  overlayRows: number;
  /** The stored snapshot of the trending list read (shared/experiments/decision-snapshots.ts); absent when none was read or stored. */
  trendingSnapshot?: string;
  /** The stored snapshot of the catalogue overlay, when it held rows and was complete. */
  overlaySnapshot?: string;
}

/**
 * The stored form: one array per field instead of one object per entry,
 * sources as a bit set over SOURCES and interests as indices into the list's
 * own categories. About a quarter of the entry-per-object JSON, which matters
 * twice: every computed list is written to the Cache API, whose cost grows
 * with the body, and each isolate keeps recent lists in memory in this form.
 */
interface StoredList {
  format: typeof FORMAT;
  indexVersion: string;
  sessionVersion: number;
  region: string;
  ranker: RankingOrder;
  degraded: string[];
  titles: Record<string, string>;
  ids: string[];
  scores: number[];
  /** Bit k set: the entry came from SOURCES[k]. */
  sources: number[];
  /** "" where the entry has no becauseOf. */
  becauseOf: string[];
  /** Indices of explored entries. */
  explored: number[];
  propensities: number[];
  categories: string[];
  /** Per entry, indices into `categories`. */
  interests: number[][];
  decision?: ListDecisionInputs;
}

const FORMAT = 1;

export function encodeRankedList(list: RankedList): string {
  const categories: string[] = [];
  const categoryIndex = new Map<string, number>();
  const indexOf = (category: string) => {
    let k = categoryIndex.get(category);
    if (k === undefined) {
      k = categories.length;
      categories.push(category);
      categoryIndex.set(category, k);
    }
    return k;
  };
  const stored: StoredList = {
    format: FORMAT,
    indexVersion: list.indexVersion,
    sessionVersion: list.sessionVersion,
    region: list.region,
    ranker: list.ranker,
    degraded: list.degraded,
    titles: list.titles,
    ids: list.entries.map((e) => e.itemId),
    scores: list.entries.map((e) => e.score),
    sources: list.entries.map((e) => e.sources.reduce((bits, s) => bits | (1 << SOURCES.indexOf(s)), 0)),
    becauseOf: list.entries.map((e) => e.becauseOf ?? ""),
    explored: list.entries.flatMap((e, i) => (e.explored ? [i] : [])),
    propensities: list.entries.map((e) => e.propensity),
    categories,
    interests: list.entries.map((e) => e.interests.map(indexOf)),
    ...(list.decision ? { decision: list.decision } : {}),
  };
  return JSON.stringify(stored);
}

/** The list `text` encodes; null when it is not a list of this format (a cached body is then a miss). */
export function decodeRankedList(text: string): RankedList | null {
  let s: StoredList;
  try {
    s = JSON.parse(text) as StoredList;
  } catch {
    return null;
  }
  if (!isStoredList(s)) return null;
  const explored = new Set(s.explored);
  const entries = s.ids.map((itemId, i): RankedEntry => {
    const bits = s.sources[i]!;
    const because = s.becauseOf[i]!;
    return {
      itemId,
      score: s.scores[i]!,
      sources: SOURCES.filter((_, k) => (bits & (1 << k)) !== 0),
      ...(because ? { becauseOf: because } : {}),
      explored: explored.has(i),
      propensity: s.propensities[i]!,
      interests: s.interests[i]!.map((k) => s.categories[k]!),
    };
  });
  return {
    indexVersion: s.indexVersion,
    sessionVersion: s.sessionVersion,
    region: s.region,
    entries,
    titles: s.titles,
    degraded: s.degraded,
    ranker: s.ranker,
    ...(s.decision ? { decision: s.decision } : {}),
  };
}

function isStoredList(s: unknown): s is StoredList {
  if (typeof s !== "object" || s === null) return false;
  const v = s as Partial<StoredList>;
  const n = v.ids?.length;
  return (
    v.format === FORMAT &&
    typeof v.indexVersion === "string" &&
    typeof v.sessionVersion === "number" &&
    typeof v.region === "string" &&
    rankingOrderProblem(v.ranker) === null &&
    Array.isArray(v.degraded) &&
    typeof v.titles === "object" &&
    v.titles !== null &&
    Array.isArray(v.ids) &&
    [v.scores, v.sources, v.becauseOf, v.propensities, v.interests].every((a) => Array.isArray(a) && a.length === n) &&
    Array.isArray(v.explored) &&
    Array.isArray(v.categories) &&
    (v.decision === undefined || (typeof v.decision === "object" && v.decision !== null && typeof v.decision.atMs === "number")) &&
    v.interests!.every((ks) => Array.isArray(ks) && ks.every((k) => typeof k === "number" && k >= 0 && k < v.categories!.length))
  );
}

/**
 * The page of a list from `offset`: up to `limit` entries, skipping those
 * `hidden` says may no longer be shown (withdrawn or blocked since the list
 * was made), their positions in the list, and the offset the next page starts at.
 */
export function cutPage(
  entries: readonly RankedEntry[],
  offset: number,
  limit: number,
  hidden: (itemId: string) => boolean,
): { page: RankedEntry[]; positions: number[]; next: number } {
  const page: RankedEntry[] = [];
  const positions: number[] = [];
  let at = offset;
  for (; at < entries.length && page.length < limit; at++) {
    if (hidden(entries[at]!.itemId)) continue;
    page.push(entries[at]!);
    positions.push(at);
  }
  return { page, positions, next: at };
}
