import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { type EventType } from "../../../shared/events/event";
import { parseLabels } from "../import/field-values";
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
  /**
   * Epoch ms the items are as of: the modification time of the file they were read from. A publication sends it, so
   * an operator's later withdrawal or region block in D1 outlives the build (worker/src/catalog/d1-catalog.ts).
   */
  itemsAsOfMs?: number;
}

const MAX_TAGS_PER_ITEM = 20;

/**
 * A file that is not what a MovieLens reader expects (missing, malformed, or
 * weights off the star scale): the message names the file, the line and
 * what to do instead. CLIs print it without a stack.
 */
export class DatasetFormatError extends Error {}

/** MovieLens's star scale: 0.5 to 5 in half stars ("latest", 20M, 25M); 1 to 5 in whole stars (100K, 1M). */
export const STAR_SCALE = { min: 0.5, max: 5 } as const;

/**
 * A MovieLens rating field as stars. Weights past the scale are most likely
 * counts in MovieLens clothing (the failure issue #16 measured: 352,698
 * plays read as stars), so the error says how to import them with their
 * kind instead (`importArgs`).
 */
export function readStars(
  file: string,
  line: number,
  raw: string,
  scale: { min: number; max: number } = STAR_SCALE,
  importArgs = `--interactions ${file} --kind plays`,
): number {
  const value = Number(raw);
  if (raw.trim() !== "" && Number.isFinite(value) && value >= scale.min && value <= scale.max) return value;
  throw new DatasetFormatError(
    `${file} line ${line}: rating ${JSON.stringify(raw)} is not on MovieLens's ${scale.min}-${scale.max} star scale. ` +
      `If this column holds play counts, purchases or another weight, import the file with its kind instead: ` +
      `${importArgs} (npm run eval, or index-builder build)`,
  );
}

/** A MovieLens timestamp field: Unix seconds, at least 0. */
export function readUnixSeconds(file: string, line: number, raw: string): number {
  const seconds = Number(raw);
  if (raw.trim() !== "" && Number.isFinite(seconds) && seconds >= 0) return seconds;
  throw new DatasetFormatError(`${file} line ${line}: timestamp ${JSON.stringify(raw)} is not Unix seconds`);
}

/**
 * Reads a MovieLens "latest" directory (movies.csv, ratings.csv, and
 * tags.csv when present). Titles lose their trailing "(year)", which
 * becomes `year`; tags are lower-cased and ranked by how many users applied
 * them. Every rating row is checked (ids present, stars on the scale, a
 * Unix-seconds timestamp): a bad one throws DatasetFormatError naming it.
 */
export async function readMovieLensLatest(dir: string): Promise<Dataset> {
  const path = (f: string) => join(dir, f);
  for (const f of ["movies.csv", "ratings.csv"]) {
    if (!existsSync(path(f))) throw new DatasetFormatError(`${path(f)} does not exist: a MovieLens 'latest' directory has movies.csv and ratings.csv`);
  }
  const [moviesCsv, ratingsCsv, tagsCsv] = await Promise.all([
    readFile(path("movies.csv"), "utf8"),
    readFile(path("ratings.csv"), "utf8"),
    existsSync(path("tags.csv")) ? readFile(path("tags.csv"), "utf8") : Promise.resolve(""),
  ]);
  const objects = (file: string, text: string, required: readonly string[]) => {
    try {
      return csvObjects(text, required);
    } catch (err) {
      throw new DatasetFormatError(`${path(file)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const tagCounts = new Map<string, Map<string, number>>();
  for (const row of tagsCsv ? objects("tags.csv", tagsCsv, ["movieId", "tag"]) : []) {
    const tag = (row.tag ?? "").trim().toLowerCase().slice(0, 64);
    if (!tag) continue;
    const counts = tagCounts.get(row.movieId ?? "") ?? new Map<string, number>();
    counts.set(tag, (counts.get(tag) ?? 0) + 1);
    tagCounts.set(row.movieId ?? "", counts);
  }
  const items = objects("movies.csv", moviesCsv, ["movieId", "title", "genres"]).map((row): CatalogItem => {
    const { title, year } = splitTitleYear((row.title ?? "").trim());
    // "(no genres listed)" is no genre (parseLabels drops such placeholders, as the import does).
    const genres = parseLabels(row.genres ?? "");
    const tags = [...(tagCounts.get(row.movieId ?? "") ?? new Map<string, number>())]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, MAX_TAGS_PER_ITEM)
      .map(([tag]) => tag);
    return { itemId: row.movieId ?? "", title, categories: genres, year, tags, available: true };
  });
  const ratingsFile = path("ratings.csv");
  const interactions = objects("ratings.csv", ratingsCsv, ["userId", "movieId", "rating", "timestamp"]).map((row, i): Interaction => {
    const line = i + 2;
    if (!row.userId || !row.movieId) throw new DatasetFormatError(`${ratingsFile} line ${line}: empty userId or movieId`);
    const rating = readStars(ratingsFile, line, row.rating ?? "");
    return { userId: row.userId, itemId: row.movieId, rating, timestampMs: readUnixSeconds(ratingsFile, line, row.timestamp ?? "") * 1000 };
  });
  return { name: basename(resolve(dir)), items, interactions, itemsAsOfMs: Math.floor((await stat(path("movies.csv"))).mtimeMs) };
}

/** "Heat (1995)" -> { title: "Heat", year: 1995 }; titles without a year keep it null. */
export function splitTitleYear(raw: string): { title: string; year: number | null } {
  const match = /^(.*\S)\s*\((\d{4})(?:[-–]\d{0,4})?\)$/.exec(raw);
  if (!match) return { title: raw, year: null };
  return { title: match[1] ?? raw, year: Number(match[2]) };
}
