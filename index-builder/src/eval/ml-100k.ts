import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type InteractionTable, tableFromRows } from "../train/interaction-table";

/**
 * Reads MovieLens-100K `u.data` (user \t item \t rating \t unix seconds, no
 * header) in file order, which the MSR split depends on. Ids are 1-based and
 * contiguous, so dense index = id − 1.
 */
export async function readMl100k(dir: string): Promise<InteractionTable> {
  return parseMl100k(await readFile(join(dir, "u.data"), "utf8"));
}

export function parseMl100k(text: string): InteractionTable {
  const rows = text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, i) => {
      const [userId, itemId, rating, ts] = line.split("\t");
      if (userId === undefined || itemId === undefined || rating === undefined || ts === undefined) {
        throw new Error(`u.data line ${i + 1} does not have 4 tab-separated fields`);
      }
      return { userId, itemId, value: Number(rating), timestampSec: Number(ts) };
    });
  return tableFromRows(rows);
}
