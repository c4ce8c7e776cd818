import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DatasetFormatError, readStars, readUnixSeconds } from "../data/movielens";
import { type InteractionTable, tableFromRows } from "../train/interaction-table";

/** u.data rates in whole stars, 1 to 5 (its README). */
const ML_100K_STARS = { min: 1, max: 5 };

/**
 * Reads MovieLens-100K `u.data` (user \t item \t rating \t unix seconds, no
 * header) in file order, which the MSR split depends on. Ids are 1-based and
 * contiguous, so dense index = id − 1.
 */
export async function readMl100k(dir: string): Promise<InteractionTable> {
  const file = join(dir, "u.data");
  return parseMl100k(await readFile(file, "utf8"), file);
}

export function parseMl100k(text: string, file = "u.data"): InteractionTable {
  const rows = text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, i) => {
      const [userId, itemId, rating, ts] = line.split("\t");
      if (!userId || !itemId || rating === undefined || ts === undefined) {
        throw new DatasetFormatError(`${file} line ${i + 1} does not have 4 tab-separated fields (user, item, rating, Unix seconds)`);
      }
      const value = readStars(file, i + 1, rating, ML_100K_STARS, `--interactions ${file} --format tsv --header user,item,weight,timestamp --kind plays`);
      return { userId, itemId, value, timestampSec: readUnixSeconds(file, i + 1, ts) };
    });
  return tableFromRows(rows);
}
