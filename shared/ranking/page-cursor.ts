import { fnv1a32 } from "../fnv1a";

/**
 * Where the next page of a list starts. A paging session keeps reading the
 * list it started on (same session and index version), so pages never
 * repeat an item even when new events arrive in between; `startedMs` lets a
 * recomputed list leave out what earlier pages showed. `listId` names the
 * list the offset counts in (listFingerprint): an offset is used only in that
 * list, so a paging session whose list is gone (a rollback, a list
 * recomputed mid-paging, an evicted cache) continues on a new list without
 * repeats instead of restarting at page 1.
 */
export interface PageCursor {
  offset: number;
  sessionVersion: number;
  indexVersion: string;
  startedMs: number;
  /** Absent in cursors issued before it existed: any list of the same versions is then taken as theirs. */
  listId?: number;
}

/** A list's identity for cursors: a hash of its index version and item order (equal lists, equal ids). */
export function listFingerprint(indexVersion: string, itemIds: readonly string[]): number {
  return fnv1a32(`${indexVersion}\n${itemIds.join("\n")}`);
}

/** Whether `cursor`'s offset counts in the list with this fingerprint. */
export function cursorFitsList(cursor: PageCursor, fingerprint: number): boolean {
  return cursor.listId === undefined || cursor.listId === fingerprint;
}

export function encodeCursor(cursor: PageCursor): string {
  const fields: unknown[] = [cursor.offset, cursor.sessionVersion, cursor.indexVersion, cursor.startedMs];
  if (cursor.listId !== undefined) fields.push(cursor.listId);
  const json = JSON.stringify(fields);
  return btoa(json).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The cursor, or null when the text is not one this service issued. */
export function decodeCursor(text: string): PageCursor | null {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(text)) return null;
  try {
    const json = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const [offset, sessionVersion, indexVersion, startedMs, listId] = JSON.parse(json) as unknown[];
    const int = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
    if (!int(offset) || !int(sessionVersion) || !int(startedMs) || typeof indexVersion !== "string" || indexVersion.length > 64) return null;
    if (listId !== undefined && !(int(listId) && (listId as number) <= 0xffffffff)) return null;
    const cursor: PageCursor = { offset: offset as number, sessionVersion: sessionVersion as number, indexVersion, startedMs: startedMs as number };
    return listId === undefined ? cursor : { ...cursor, listId: listId as number };
  } catch {
    return null;
  }
}
