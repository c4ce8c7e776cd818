/**
 * A small per-isolate memo with a time to live, bounded in entries (oldest
 * out first). For values that may be a little stale but are costly to fetch
 * on every request: the current-version pointer, trending lists, catalog rows.
 */
export class Memo<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();

  constructor(
    readonly ttlMs: number,
    readonly maxEntries: number,
  ) {}

  get(key: string, nowMs = Date.now()): V | undefined {
    return this.entry(key, nowMs)?.value;
  }

  /** The value with the time it was set. */
  entry(key: string, nowMs = Date.now()): { value: V; at: number } | undefined {
    const hit = this.entries.get(key);
    if (!hit || nowMs - hit.at > this.ttlMs) return undefined;
    return hit;
  }

  /**
   * The last value set, however old (until the entry bound pushes it out):
   * what a caller falls back to when the source cannot be read now.
   */
  lastKnown(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  set(key: string, value: V, nowMs = Date.now()): void {
    this.entries.delete(key);
    this.entries.set(key, { value, at: nowMs });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  clear(): void {
    this.entries.clear();
  }
}
