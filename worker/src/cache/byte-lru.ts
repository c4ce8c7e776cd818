/**
 * A least-recently-used map bounded by the total size of its values, as
 * their owner measures it. Used per isolate (128 MB), so the bound is what
 * keeps decoded shards from crowding out the rest of the Worker.
 */
export class ByteLru<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private readonly loading = new Map<string, Promise<{ value: V } | { fault: string }>>();
  private total = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /**
   * The value under `key`, else what `load` reads: concurrent callers for a
   * key not cached yet share one load. A loaded value is kept; a fault goes
   * to every caller waiting on that load and is not kept.
   */
  getOrLoad(key: string, load: () => Promise<{ value: V; bytes: number } | { fault: string }>): Promise<{ value: V } | { fault: string }> {
    const hit = this.get(key);
    if (hit !== undefined) return Promise.resolve({ value: hit });
    let pending = this.loading.get(key);
    if (!pending) {
      pending = load()
        .then((read) => {
          if ("fault" in read) return read;
          this.set(key, read.value, read.bytes);
          return { value: read.value };
        })
        .finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** Stores a value; one larger than the whole bound is not kept. */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { value, bytes });
    this.total += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.total -= entry.bytes;
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.total -= entry.bytes;
  }

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }
}
