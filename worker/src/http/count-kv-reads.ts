import { createMiddleware } from "hono/factory";
import { type AppEnv } from "./app-env";

const READS = new Set<PropertyKey>(["get", "getWithMetadata", "list"]);

/**
 * Counts the index store's reads (KV `get`, `getWithMetadata`, `list`) made
 * while a request is answered, and reports them in `Server-Timing` as
 * `kv-reads;desc="N"`: what a cache miss costs in KV operations (billed per
 * read, and each a round trip on an isolate's cold cache). Reads served from
 * the isolate's caches are not KV reads and are not counted; reads deferred
 * past the response (`waitUntil`) are not in the header.
 */
export const countKvReads = createMiddleware<AppEnv>(async function countKvReads(c, next) {
  let reads = 0;
  const kv = c.env.INDEX_KV;
  const counted = new Proxy(kv, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (READS.has(prop)) reads++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  c.env = { ...c.env, INDEX_KV: counted };
  await next();
  try {
    c.res.headers.append("Server-Timing", `kv-reads;desc="${reads}"`);
  } catch {
    // A response with immutable headers (one taken from a cache as it is) goes out uncounted.
  }
});
