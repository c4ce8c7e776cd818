/** How an item's place changed from the list shown before to the one shown now. */
export type Change = { kind: "new" } | { kind: "moved"; by: number } | { kind: "same" };

/**
 * Compares two lists of item ids, so the page can show what a click did: an
 * item absent before is new; one that moved says by how many places (positive
 * is up). With no list before, nothing is marked.
 */
export function listChanges(before: readonly string[] | null, now: readonly string[]): Map<string, Change> {
  const changes = new Map<string, Change>();
  const previous = new Map((before ?? []).map((id, rank) => [id, rank]));
  now.forEach((id, rank) => {
    const was = previous.get(id);
    if (before === null || was === rank) changes.set(id, { kind: "same" });
    else if (was === undefined) changes.set(id, { kind: "new" });
    else changes.set(id, { kind: "moved", by: was - rank });
  });
  return changes;
}

/** How many items of `now` are new or moved. */
export function changedCount(changes: Map<string, Change>): number {
  let n = 0;
  for (const change of changes.values()) if (change.kind !== "same") n++;
  return n;
}
