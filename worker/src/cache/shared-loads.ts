/**
 * Loads in flight by key: concurrent callers for one key share one load,
 * whatever it settles to, and the key is free again once it has settled
 * (a failure is not remembered; the next caller loads anew).
 */
export class SharedLoads<V> {
  private readonly pending = new Map<string, Promise<V>>();

  load(key: string, read: () => Promise<V>): Promise<V> {
    let pending = this.pending.get(key);
    if (!pending) {
      pending = read().finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }
}
