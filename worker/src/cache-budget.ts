/**
 * The one byte budget of everything this isolate caches of index data and
 * ranked lists (cache/isolate-cache.ts): probed ANN lists (copied out of
 * their shards with the facts of their rows), vector, co-visitation,
 * item and title pages, title patches, recent lists, and, charged against
 * it without being evictable, the heads of the versions it serves
 * (manifests, popular lists, ANN centroids and codebooks, item-directory
 * heads, fold-in data). Entries of every kind share one recency order, so
 * what a mix of requests uses most stays whatever its kind, and eviction is
 * by bytes.
 *
 * A Worker isolate has 128 MB for everything; the target is 64 MiB of JS
 * heap plus array buffers after 1,000 misses for distinct users (bench:serve
 * reads it through the inspector after a full collection). On the 1M
 * synthetic index (bench/results/serve-1m.md) the isolate then held
 * 16.8 MiB of JS heap and 8.2 MiB of array buffers: 14.9 MiB of cache
 * entries and 4.1 MiB of version heads, the Worker's code and some 0.8 MiB
 * of kernel memory; before the collection, 49 MiB. With whole shards
 * cached and 28 MiB, the live total was 34 MiB, so the Worker's own part is
 * some 6 to 10 MiB and 40 MiB of caches keep the live total under 50 MiB.
 * Garbage V8 has not collected yet comes on top (array buffers of blobs
 * read and evicted); V8 collects it when the isolate needs the room.
 *
 * Sizes are the blobs' bytes as read: decoders keep views over them
 * (a copy replaces the read buffer, never adds to it), so that is what an
 * entry holds.
 */
export const CACHE_BUDGET_BYTES = 40 * 1024 * 1024;
