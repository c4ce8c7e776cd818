/**
 * The one byte budget of everything this isolate caches of index data and
 * ranked lists (cache/isolate-cache.ts): ANN shards, vector, co-visitation,
 * item and title pages, title patches, recent lists, and, charged against
 * it without being evictable, the heads of the versions it serves
 * (manifests, popular lists, ANN centroids and codebooks, item-directory
 * heads, fold-in data). Entries of every kind share one recency order, so
 * what a mix of requests uses most stays whatever its kind, and eviction is
 * by bytes.
 *
 * A Worker isolate has 128 MB for everything; the target is 64 MiB of JS
 * heap plus array buffers after 1,000 misses for distinct users (bench:serve
 * reads it through the inspector after a full collection). The rest of that
 * is the Worker's code and the JS heap of requests in flight (about 20 MiB
 * measured with nothing cached), the scan kernel's WASM memory (bounded in
 * ann/workerd-kernel.ts) and what V8 has not collected yet.
 *
 * Sizes are the blobs' bytes as read: decoders keep views over them
 * (a copy replaces the read buffer, never adds to it), so that is what an
 * entry holds.
 */
export const CACHE_BUDGET_BYTES = 28 * 1024 * 1024;
