import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { type EventType } from "../../../shared/events/event";
import { csvObjects } from "./csv";
import { type WeightKind } from "./weights";

/** One user-item interaction read from a dataset. */
export interface Interaction {
  userId: string;
  itemId: string;
  /** Stars, when the dataset has them. */
  rating: number | null;
  /** A count (plays, purchases, clicks) when the dataset's weight kind is one; absent counts 1. */
  count?: number;
  /** 0 for every row of a dataset without timestamps. */
  timestampMs: number;
  /** Kind of interaction, for live events (dataset rows are ratings). */
  type?: EventType;
  /** Seconds watched, for live `watch` events. */
  seconds?: number;
}

export interface Dataset {
  name: string;
  items: CatalogItem[];
  interactions: Interaction[];
  /** What the rows' weights mean (data/weights.ts); "ratings" when absent, as MovieLens. */
  weightKind?: WeightKind;
  /** Top of the rating scale for "ratings" (5 when absent). */
  ratingMax?: number;
}

const MAX_TAGS_PER_ITEM = 20;
const NO_GENRES = "(no genres listed)";

/**
 * Reads a MovieLens "latest" directory (movies.csv, ratings.csv, tags.csv).
 * Titles lose their trailing "(year)", which becomes `year`; tags are
 * lower-cased and ranked by how many users applied them.
 */
export async function readMovieLensLatest(dir: string): Promise<Dataset> {
  const [moviesCsv, ratingsCsv, tagsCsv] = await Promise.all(
    ["movies.csv", "ratings.csv", "tags.csv"].map((f) => readFile(join(dir, f), "utf8")),
  );
  const tagCounts = new Map<string, Map<string, number>>();
  for (const row of csvObjects(tagsCsv ?? "", ["movieId", "tag"])) {
    const tag = (row.tag ?? "").trim().toLowerCase().slice(0, 64);
    if (!tag) continue;
    const counts = tagCounts.get(row.movieId ?? "") ?? new Map<string, number>();
    counts.set(tag, (counts.get(tag) ?? 0) + 1);
    tagCounts.set(row.movieId ?? "", counts);
  }
  const items = csvObjects(moviesCsv ?? "", ["movieId", "title", "genres"]).map((row): CatalogItem => {
    const { title, year } = splitTitleYear((row.title ?? "").trim());
    const genres = (row.genres ?? "").split("|").filter((g) => g && g !== NO_GENRES);
    const tags = [...(tagCounts.get(row.movieId ?? "") ?? new Map<string, number>())]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, MAX_TAGS_PER_ITEM)
      .map(([tag]) => tag);
    return { itemId: row.movieId ?? "", title, categories: genres, year, tags, available: true };
  });
  const interactions = csvObjects(ratingsCsv ?? "", ["userId", "movieId", "rating", "timestamp"]).map((row) => ({
    userId: row.userId ?? "",
    itemId: row.movieId ?? "",
    rating: Number(row.rating),
    timestampMs: Number(row.timestamp) * 1000,
  }));
  return { name: "ml-latest-small", items, interactions };
}

/** "Heat (1995)" -> { title: "Heat", year: 1995 }; titles without a year keep it null. */
export function splitTitleYear(raw: string): { title: string; year: number | null } {
  const match = /^(.*\S)\s*\((\d{4})(?:[-–]\d{0,4})?\)$/.exec(raw);
  if (!match) return { title: raw, year: null };
  return { title: match[1] ?? raw, year: Number(match[2]) };
}
