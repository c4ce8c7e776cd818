/**
 * The client's types come from the Worker's app (worker/src/app.ts), so Node-side
 * code that imports the client (the e2e suites, benches) type-checks the
 * Worker's sources under the DOM library plus the Workers types of
 * worker-configuration.d.ts. The DOM's CacheStorage lacks the one Workers-only
 * member the Worker uses.
 */
interface CacheStorage {
  readonly default: Cache;
}
