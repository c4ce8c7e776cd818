import { CACHE_BUDGET_BYTES } from "../cache-budget";
import { ByteLru } from "./byte-lru";

/** What the isolate caches: each kind is a part of the one LRU, its keys prefixed by the kind. */
export type CacheKind = "ann-list" | "vector-page" | "covisit-page" | "item-page" | "title-page" | "title-patch" | "list";

/** One kind's view of the isolate cache. */
export interface CachePart<V> {
  get(key: string): V | undefined;
  getOrLoad(key: string, load: () => Promise<{ value: V; bytes: number } | { fault: string }>): Promise<{ value: V } | { fault: string }>;
  set(key: string, value: V, bytes: number): void;
  delete(key: string): void;
  /** Drops every entry of this kind. */
  clear(): void;
}

/** Every per-isolate cache of index data and lists, in one recency order under CACHE_BUDGET_BYTES (cache-budget.ts). */
const cache = new ByteLru<unknown>(CACHE_BUDGET_BYTES);

export function cachePart<V>(kind: CacheKind): CachePart<V> {
  const prefix = `${kind}:`;
  const typed = cache as ByteLru<V>;
  return {
    get: (key) => typed.get(prefix + key),
    getOrLoad: (key, load) => typed.getOrLoad(prefix + key, load),
    set: (key, value, bytes) => typed.set(prefix + key, value, bytes),
    delete: (key) => typed.delete(prefix + key),
    clear: () => typed.deletePrefix(prefix),
  };
}

/**
 * Counts what a version's head keeps alive against the budget (evicting
 * cached entries to fit) until `releaseHead` with the same key.
 */
export function chargeHead(key: string, bytes: number): void {
  cache.charge(key, bytes);
}

export function releaseHead(key: string): void {
  cache.release(key);
}

/** What the isolate cache holds now (bytes): entries, head charges and the budget. */
export function isolateCacheBytes(): { entries: number; heads: number; budget: number } {
  return { entries: cache.bytes, heads: cache.chargedBytes, budget: cache.maxBytes };
}
