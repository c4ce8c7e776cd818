import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { splitTitleYear } from "../data/movielens";

/**
 * Reads MovieLens-100K `u.item` (id | title | release date | video date |
 * URL | 19 genre flags) and `u.genre` (name | flag position). The files are
 * Latin-1. Genres become categories; the year comes from the title's
 * "(year)", else from the release date.
 */
export async function readMl100kItems(dir: string): Promise<CatalogItem[]> {
  const [items, genres] = await Promise.all([readFile(join(dir, "u.item"), "latin1"), readFile(join(dir, "u.genre"), "latin1")]);
  return parseMl100kItems(items, genres);
}

export function parseMl100kItems(itemText: string, genreText: string): CatalogItem[] {
  const names: string[] = [];
  for (const line of genreText.split("\n")) {
    const [name, position] = line.trim().split("|");
    if (name && position !== undefined) names[Number(position)] = name;
  }
  return itemText
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const fields = line.split("|");
      const { title, year } = splitTitleYear((fields[1] ?? "").trim());
      const released = /(\d{4})$/.exec(fields[2] ?? "");
      const flags = fields.slice(5);
      const categories = names.filter((name, k) => flags[k] === "1" && name !== "unknown");
      return { itemId: fields[0] ?? "", title, categories, year: year ?? (released ? Number(released[1]) : null), tags: [], available: true };
    });
}
