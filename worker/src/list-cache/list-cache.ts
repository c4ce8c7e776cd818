import { cachePart } from "../cache/isolate-cache";
import { type RecommendationQuery } from "../routes/recommendations";

/**
 * Ranked lists kept for reuse: the Cache API (per location) under a key of
 * everything a list depends on but the session version, which the list
 * carries, and this isolate's own copies in front of it.
 */

/** The cached list's shape: part of the key, so a deploy that changes it never reads an older shape. */
const LIST_FORMAT = 5;
/** How long a computed list may be served from the Cache API. */
export const CACHE_TTL_S = 300;
/**
 * The isolate's own copies of lists it computed or fetched recently, in front
 * of the Cache API (same keys, same lifetime), stored encoded (ranked-list.ts):
 * a repeat on a warm isolate costs no cache round trip. In the isolate's
 * one byte budget (cache-budget.ts), a list of 100 entries being about 5 KB.
 */
const recentLists = cachePart<HeldList>("list");

/** A list as this isolate holds it: encoded, with the session version it is current at (checked before decoding). */
interface HeldList {
  text: string;
  sessionVersion: number;
  storedAtMs: number;
}

/** Empties this isolate's list memo, as a fresh isolate starts: how tests reach the Cache API path. */
export function forgetRecentLists(): void {
  recentLists.clear();
}

export function heldList(key: string): HeldList | undefined {
  const held = recentLists.get(key);
  if (!held) return undefined;
  if (Date.now() - held.storedAtMs > CACHE_TTL_S * 1000) {
    recentLists.delete(key);
    return undefined;
  }
  return held;
}

export function rememberList(key: string, text: string, sessionVersion: number): void {
  // V8 keeps a Latin-1 string at a byte a character and any other at two (titles in other scripts).
  const bytesPerChar = /[^\u0000-\u00ff]/.test(text) ? 2 : 1;
  recentLists.set(key, { text, sessionVersion, storedAtMs: Date.now() }, text.length * bytesPerChar + key.length + 64);
}

/**
 * The Cache API key of a list: everything it depends on but the session
 * version, which the list carries. `configStamp` is the stored policy and
 * editorial lists' (config-store.ts): a stored change keys new lists.
 */
export function listCacheKey(
  query: Pick<RecommendationQuery, "userId" | "surface" | "contextItemId" | "category" | "excludeIds">,
  region: string,
  variant: string,
  indexVersion: string,
  configStamp: string,
): Request {
  return new Request(
    `https://recs.cache/v${LIST_FORMAT}/list?u=${encodeURIComponent(query.userId)}&s=${query.surface}&i=${encodeURIComponent(query.contextItemId ?? "")}` +
      `&c=${encodeURIComponent(query.category ?? "")}&x=${encodeURIComponent(query.excludeIds.join(","))}&r=${region}` +
      `&v=${variant}&iv=${indexVersion}&cfg=${configStamp}`,
  );
}

/** The encoded list cached under `key`; none when the cache has none or cannot be read (the list is then computed). */
export async function cachedList(cache: Cache, key: Request): Promise<string | undefined> {
  try {
    return await (await cache.match(key))?.text();
  } catch (err) {
    console.warn(JSON.stringify({ level: "warn", message: "cache lookup failed", error: String(err) }));
    return undefined;
  }
}
