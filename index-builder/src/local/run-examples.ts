import { type Dataset } from "../data/movielens";

/** How many of the data's users the playground link signs in. */
export const PLAYGROUND_USER_COUNT = 3;

/** The users and the item `npm start`'s banner uses in its playground link and curl examples. */
export interface RunExamples {
  /** The data's first users with rows (in row order; the demo's users 1, 2 and 3), whose histories were seeded. */
  users: string[];
  /** The most-met available item the first of them has not met: a click that example would plausibly send. */
  itemId: string;
}

/**
 * Examples drawn from the data being served, not the demo's ids: an imported
 * log's users are "u-17" and its items "sku_A9", and a banner naming user 1
 * and item 356 would hand out a token for a stranger and curl examples the
 * Worker refuses. Call it after the erased users' rows are left out, so no
 * example is an erased user.
 */
export function runExamples(dataset: Pick<Dataset, "items" | "interactions">): RunExamples {
  const users: string[] = [];
  const seenUsers = new Set<string>();
  const met = new Map<string, number>();
  for (const row of dataset.interactions) {
    if (!seenUsers.has(row.userId)) {
      seenUsers.add(row.userId);
      if (users.length < PLAYGROUND_USER_COUNT) users.push(row.userId);
    }
    met.set(row.itemId, (met.get(row.itemId) ?? 0) + 1);
  }
  if (users.length === 0) throw new Error("the data has no interaction rows left to serve (were all its users erased?)");
  const first = new Set(dataset.interactions.filter((row) => row.userId === users[0]).map((row) => row.itemId));
  let best: { itemId: string; count: number } | null = null;
  for (const item of dataset.items) {
    if (!item.available || first.has(item.itemId)) continue;
    const count = met.get(item.itemId) ?? 0;
    if (!best || count > best.count) best = { itemId: item.itemId, count };
  }
  return { users, itemId: best?.itemId ?? dataset.items[0]!.itemId };
}

/** `text` inside a single-quoted shell word. */
export function shellSingleQuoted(text: string): string {
  return text.replaceAll("'", "'\\''");
}

/** `text` as a URL path segment or query value inside a single-quoted shell word. */
export function urlComponent(text: string): string {
  return encodeURIComponent(text).replaceAll("'", "%27");
}
