import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { dataRecord } from "../../../shared/data-record";
import { type PopularBlob, type PopularItem } from "../../../shared/index-format/popular";
import { type Interaction } from "../data/movielens";
import { type InteractionTable } from "../train/interaction-table";

export interface PopularityOptions {
  /** An interaction this many days older than `asOf` counts half. */
  halfLifeDays: number;
  /** Length of the overall list. */
  overallSize: number;
  /** Length of each category's list. */
  perCategorySize: number;
}

export const DEFAULT_POPULARITY: PopularityOptions = { halfLifeDays: 730, overallSize: 1000, perCategorySize: 200 };

/**
 * Time-decayed popularity: each interaction adds 0.5^(age / half-life), age
 * measured back from the newest interaction, so a rebuild on the same data
 * gives the same lists. Ties go to the smaller item id, for determinism.
 */
export function computePopular(
  items: readonly CatalogItem[],
  interactions: readonly Interaction[],
  options: PopularityOptions = DEFAULT_POPULARITY,
): PopularBlob {
  const { asOfMs, mass } = decayedMass(interactions, options.halfLifeDays);
  return popularFromMass(items, mass, asOfMs, options);
}

/** The popular blob from each item's (decayed) mass, measured at `asOfMs`. */
export function popularFromMass(
  items: readonly CatalogItem[],
  mass: ReadonlyMap<string, number>,
  asOfMs: number,
  options: PopularityOptions = DEFAULT_POPULARITY,
): PopularBlob {
  const ranked: PopularItem[] = items
    .filter((item) => item.available && (mass.get(item.itemId) ?? 0) > 0)
    .map((item) => ({
      itemId: item.itemId,
      title: item.title,
      categories: item.categories,
      score: roundScore(mass.get(item.itemId) ?? 0),
    }))
    .sort((a, b) => b.score - a.score || compareIds(a.itemId, b.itemId));

  const kept = new Set(ranked.slice(0, options.overallSize).map((x) => x.itemId));
  const perCategory = new Map<string, PopularItem[]>();
  for (const item of ranked) {
    for (const category of item.categories) {
      const list = perCategory.get(category) ?? [];
      if (list.length < options.perCategorySize) {
        list.push(item);
        kept.add(item.itemId);
      }
      perCategory.set(category, list);
    }
  }
  // The blob holds the overall list followed by any item only a category list needs.
  const listed = ranked.filter((x) => kept.has(x.itemId));
  const position = new Map(listed.map((x, i) => [x.itemId, i]));
  // Without a prototype, so a category named "__proto__" is stored as one, not taken for the record's prototype.
  const byCategory = dataRecord<number[]>();
  for (const [category, list] of [...perCategory].sort((a, b) => a[0].localeCompare(b[0]))) {
    byCategory[category] = list.map((x) => position.get(x.itemId) ?? -1);
  }
  return { asOf: new Date(asOfMs).toISOString(), halfLifeDays: options.halfLifeDays, items: listed, byCategory };
}

/**
 * `popularFromMass` for a catalogue too large for an object per item:
 * `order` lists item indices by descending mass (ties in any order),
 * `itemAt` makes an item on demand. One pass counts each category's
 * eligible items (available, mass above 0); then only the shortest prefix of
 * the order that fills every list, and the items after it whose rounded
 * score equals its last one's, are made into a catalogue for
 * `popularFromMass`. The result is the same: the lists are filled in order
 * of rounded score, rounding never reorders distinct scores, so that
 * prefix holds every item the lists take.
 */
export function popularFromOrder(
  order: ArrayLike<number>,
  itemAt: (i: number) => CatalogItem,
  massAt: (i: number) => number,
  asOfMs: number,
  options: PopularityOptions = DEFAULT_POPULARITY,
): PopularBlob {
  const eligible = (i: number, item: CatalogItem) => item.available && massAt(i) > 0;
  const wanted = new Map<string, number>();
  let wantedOverall = 0;
  for (let k = 0; k < order.length; k++) {
    const item = itemAt(order[k]!);
    if (!eligible(order[k]!, item)) continue;
    wantedOverall = Math.min(options.overallSize, wantedOverall + 1);
    for (const c of item.categories) wanted.set(c, Math.min(options.perCategorySize, (wanted.get(c) ?? 0) + 1));
  }
  const candidates: CatalogItem[] = [];
  const mass = new Map<string, number>();
  let unfilled = wanted.size + (wantedOverall > 0 ? 1 : 0);
  let k = 0;
  for (; k < order.length && unfilled > 0; k++) {
    const item = itemAt(order[k]!);
    if (!eligible(order[k]!, item)) continue;
    candidates.push(item);
    mass.set(item.itemId, massAt(order[k]!));
    if (--wantedOverall === 0) unfilled--;
    for (const c of item.categories) {
      const left = wanted.get(c)! - 1;
      wanted.set(c, left);
      if (left === 0) unfilled--;
    }
  }
  const last = candidates.length > 0 ? roundScore(mass.get(candidates[candidates.length - 1]!.itemId)!) : 0;
  for (; k < order.length && roundScore(massAt(order[k]!)) === last; k++) {
    const item = itemAt(order[k]!);
    if (!eligible(order[k]!, item)) continue;
    candidates.push(item);
    mass.set(item.itemId, massAt(order[k]!));
  }
  return popularFromMass(candidates, mass, asOfMs, options);
}

/** Each item's time-decayed interaction mass, decayed back from the newest interaction. */
export function decayedMass(interactions: readonly Interaction[], halfLifeDays: number): { asOfMs: number; mass: Map<string, number> } {
  const asOfMs = interactions.reduce((m, x) => Math.max(m, x.timestampMs), 0);
  const halfLifeMs = halfLifeDays * 86_400_000;
  const mass = new Map<string, number>();
  for (const x of interactions) {
    const weight = Math.pow(0.5, (asOfMs - x.timestampMs) / halfLifeMs);
    mass.set(x.itemId, (mass.get(x.itemId) ?? 0) + weight);
  }
  return { asOfMs, mass };
}

/** Numeric ids compare as numbers, others as strings. */
function compareIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a.localeCompare(b);
}

function roundScore(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** The same mass over a training table's rows (seconds), decayed back from its newest row; keyed by item id. */
export function tableDecayedMass(table: InteractionTable, halfLifeDays: number): { asOfMs: number; mass: Map<string, number> } {
  let asOfSec = -Infinity;
  for (const t of table.timestampsSec) asOfSec = Math.max(asOfSec, t);
  const halfLifeSec = halfLifeDays * 86_400;
  const mass = new Map<string, number>();
  for (let r = 0; r < table.items.length; r++) {
    const id = table.itemIds[table.items[r]!]!;
    mass.set(id, (mass.get(id) ?? 0) + Math.pow(0.5, (asOfSec - table.timestampsSec[r]!) / halfLifeSec));
  }
  return { asOfMs: asOfSec * 1000, mass };
}
