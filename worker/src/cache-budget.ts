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
 * synthetic index, a budget of 28 MiB left 10.2 MiB of JS heap and 23.7 MiB
 * of array buffers live after those misses: the Worker's code, requests in
 * flight and the scan kernel's WASM memory take some 6 MiB beside the
 * caches, so 40 MiB keeps the live total near 46 MiB. Garbage V8 has not
 * collected yet comes on top (array buffers of blobs read and evicted),
 * and V8 collects it when the isolate needs the room.
 *
 * Sizes are the blobs' bytes as read: decoders keep views over them
 * (a copy replaces the read buffer, never adds to it), so that is what an
 * entry holds.
 */
export const CACHE_BUDGET_BYTES = 40 * 1024 * 1024;
