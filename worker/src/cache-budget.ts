/**
 * What this isolate's caches of index data may hold, in bytes. A Worker
 * isolate has 128 MB for everything; past it the isolate is killed and the
 * next requests start cold. Measured on the 1M-item synthetic index after
 * 2,700 cache misses (`DEV_INSPECTOR=1`, the inspector's heap usage): with
 * the earlier budgets (72 MiB of caches, now 54) the isolate held about 111 MiB
 * (62 MiB of JS heap, garbage not collected, and 50 MiB of array buffers,
 * the 25 MB item table among them) before its caches were full, and without
 * ONNX Runtime, which that index does not use.
 *
 * Item-table rows are in popularity order, so the pages of the items most
 * often shown are few and stay in these caches even when they are small:
 * halving the page caches changed no stage of bench:serve. Shards are the
 * largest and are not row pages: a query scans nprobe lists, each in one
 * shard, and at 24 MiB the 1M index's ANN stage under load went from
 * p95 20 ms to 76 ms (shards evicted and read again), so they keep 32.
 * Recent lists were 256 decoded lists (about 30 KB each, not counted
 * above); encoded they are about 5.5 KB, and 6 MiB holds some 1,100.
 */
export const CACHE_BYTES = {
  /** Decoded ANN shards (inverted lists with their codes). */
  annShards: 32 * 1024 * 1024,
  /** Item vector pages (fold-in, related items, content placement). */
  vectorPages: 8 * 1024 * 1024,
  /** Co-visitation pages. */
  covisitPages: 8 * 1024 * 1024,
  /**
   * Row and id pages of a paged item table (catalogs past the builder's
   * `wholeItemTableMax`, 100,000 items; shared/catalog/item-directory.ts).
   * Up to that size the whole table (about 2.5 MB) is held outside this budget.
   * ANN and co-visitation candidates are named from the facts pages inside
   * their shards and pages (counted in those budgets), not from row pages.
   */
  itemPages: 10 * 1024 * 1024,
  /** Title pages. */
  titlePages: 6 * 1024 * 1024,
  /** Title patches (a version's titles changed since the pages it shares; at most ~330 KiB each). */
  titlePatches: 1024 * 1024,
  /** Recently computed or fetched ranked lists, encoded (routes/recommendations.ts). */
  recentLists: 6 * 1024 * 1024,
} as const;
