import { errors, Redis } from "@upstash/redis";

/** Upstash REST access to the Worker's Redis, as the builder's commands take it. */
export interface RedisAccess {
  url: string;
  token: string;
  /** How long one command may take, its retries included (default REDIS_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** A command's bound, retries included: a Redis that stops answering (frozen, or a network that drops packets) fails the command instead of hanging it. */
export const REDIS_TIMEOUT_MS = 15_000;
/** Retries of a command after a network error (connection refused or reset), within its timeout. */
export const REDIS_RETRIES = 3;

/**
 * The one way the builder makes an Upstash Redis client (ingest, erasures,
 * seeding digests, experiment logs, npm start's key check): values as Redis
 * holds them (no JSON parsing), no telemetry, every command bounded by
 * `timeoutMs` with at most REDIS_RETRIES retries, and every failure to reach
 * Redis an error naming Redis and the URL's host (never the token).
 * @upstash/redis alone waits for an answer forever, and names neither.
 */
export function redisClient(access: RedisAccess): Redis {
  const timeoutMs = access.timeoutMs ?? REDIS_TIMEOUT_MS;
  const where = `Redis at ${hostOf(access.url)}`;
  const redis = new Redis({
    url: access.url,
    token: access.token,
    automaticDeserialization: false,
    enableTelemetry: false,
    retry: { retries: REDIS_RETRIES, backoff: (n) => 100 * 2 ** n },
    // A function: @upstash/redis then makes one signal per command (shared by its retries) and throws its reason on
    // abort. Given a signal object instead, it turns an abort into a successful answer whose value is the reason.
    signal: () => {
      const controller = new AbortController();
      const timer = setTimeout(
        () => controller.abort(new RedisUnavailableError(`${where} did not answer within ${timeoutMs / 1000} s (is it running, and reachable?)`)),
        timeoutMs,
      );
      timer.unref();
      return controller.signal;
    },
  });
  // Network errors (after the retries) come out of fetch as "fetch failed": named here, as the timeout is.
  const requester = (redis as unknown as { client?: { request?: (req: unknown) => Promise<unknown> } }).client;
  const request = requester?.request?.bind(requester);
  if (requester && request) {
    requester.request = async (req: unknown) => {
      try {
        return await request(req);
      } catch (err) {
        // Redis's own answers (an unknown command, a wrong token) pass as they are.
        if (err instanceof RedisUnavailableError || err instanceof errors.UpstashError || !(err instanceof Error)) throw err;
        const cause = (err.cause as Error | undefined)?.message;
        throw new RedisUnavailableError(`${where} could not be reached: ${err.message}${cause ? ` (${cause})` : ""}`, { cause: err });
      }
    };
  }
  return redis;
}

/** Redis did not answer, or could not be reached. */
export class RedisUnavailableError extends Error {
  override readonly name = "RedisUnavailableError";
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(an invalid URL)";
  }
}
