/**
 * Where the next page of a list starts. A paging session keeps reading the
 * list it started on (same session and index version), so pages never
 * repeat an item even when new events arrive in between; `startedMs` lets a
 * recomputed list leave out what earlier pages showed.
 */
export interface PageCursor {
  offset: number;
  sessionVersion: number;
  indexVersion: string;
  startedMs: number;
}

export function encodeCursor(cursor: PageCursor): string {
  const json = JSON.stringify([cursor.offset, cursor.sessionVersion, cursor.indexVersion, cursor.startedMs]);
  return btoa(json).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The cursor, or null when the text is not one this service issued. */
export function decodeCursor(text: string): PageCursor | null {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(text)) return null;
  try {
    const json = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const [offset, sessionVersion, indexVersion, startedMs] = JSON.parse(json) as unknown[];
    const int = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
    if (!int(offset) || !int(sessionVersion) || !int(startedMs) || typeof indexVersion !== "string" || indexVersion.length > 64) return null;
    return { offset: offset as number, sessionVersion: sessionVersion as number, indexVersion, startedMs: startedMs as number };
  } catch {
    return null;
  }
}
