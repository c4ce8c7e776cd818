import { Redis } from "@upstash/redis/cloudflare";

/** Longest a single Redis request may take before it counts as failed. */
const REDIS_TIMEOUT_MS = 2000;

/** Per-isolate client, rebuilt only when the configured URL or token changes. */
let cached: { url: string; token: string; client: Redis } | null = null;

/**
 * The Upstash Redis client for this Worker, or null when Redis is switched
 * off (empty `UPSTASH_REDIS_REST_URL`). Retries are few and short: a request
 * must not wait seconds on a Redis outage, it degrades instead.
 */
export function redisFromEnv(env: Env): Redis | null {
  const url = env.UPSTASH_REDIS_REST_URL;
  const token = env.UPSTASH_REDIS_REST_TOKEN ?? "";
  if (!url) return null;
  if (cached?.url === url && cached.token === token) return cached.client;
  const client = new Redis({
    url,
    token,
    retry: { retries: 1, backoff: () => 25 },
    // A function, so each request gets its own deadline and an abort throws
    // (a fixed signal would make the client return a fake "Aborted" result).
    signal: () => AbortSignal.timeout(REDIS_TIMEOUT_MS),
    enableTelemetry: false,
  });
  cached = { url, token, client };
  return client;
}

/** State of an optional dependency as reported to callers. */
export type DependencyState = "ok" | "disabled" | "unavailable";

/** A counter hash as HGETALL answers it (Upstash may give numbers or their text), each field a number; absent: none. */
export function counterHash(raw: Record<string, string | number> | null | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(raw ?? {}).map(([field, n]) => [field, Number(n)]));
}
