import { SharedLoads } from "./shared-loads";

/**
 * A least-recently-used map bounded by the total size of its values, as
 * their owner measures it. Used per isolate (128 MB), so the bound is what
 * keeps decoded shards from crowding out the rest of the Worker.
 *
 * Besides its entries it can hold charges: bytes something else keeps alive
 * (a version's heads) that count against the same bound but are never
 * evicted; entries make room for them.
 */
export class ByteLru<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private readonly loading = new SharedLoads<{ value: V } | { fault: string }>();
  private readonly charges = new Map<string, number>();
  private total = 0;
  private charged = 0;

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
    return this.loading.load(key, () =>
      load().then((read) => {
        if ("fault" in read) return read;
        this.set(key, read.value, read.bytes);
        return { value: read.value };
      }),
    );
  }

  /** Stores a value; one larger than what the charges leave of the bound is not kept. */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes - this.charged) return;
    this.entries.set(key, { value, bytes });
    this.total += bytes;
    this.evict();
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.total -= entry.bytes;
  }

  /** Drops every entry whose key starts with `prefix`. */
  deletePrefix(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.delete(key);
  }

  /** Counts `bytes` under `key` against the bound until released (replacing an earlier charge of that key), evicting entries to fit. */
  charge(key: string, bytes: number): void {
    this.charged += bytes - (this.charges.get(key) ?? 0);
    this.charges.set(key, bytes);
    this.evict();
  }

  release(key: string): void {
    this.charged -= this.charges.get(key) ?? 0;
    this.charges.delete(key);
  }

  /** Oldest entries out until entries and charges fit the bound. */
  private evict(): void {
    for (const [oldest, entry] of this.entries) {
      if (this.total + this.charged <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.total -= entry.bytes;
    }
  }

  /** Bytes of the entries. */
  get bytes(): number {
    return this.total;
  }

  /** Bytes of the charges. */
  get chargedBytes(): number {
    return this.charged;
  }

  get size(): number {
    return this.entries.size;
  }
}
