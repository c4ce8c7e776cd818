import { AppError } from "../../../shared/errors";

/** Every limit in wrangler.toml counts over 60 s: the wait to suggest after a refusal. */
const LIMIT_PERIOD_S = 60;

/** Counts one call under `key`; past the binding's limit, a 429 with Retry-After (onError sets the header). */
export async function enforceLimit(limiter: RateLimit, key: string, what: string): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success) {
    throw new AppError("rate_limited", `too many ${what}; retry in ${LIMIT_PERIOD_S} s`, { retryAfterS: LIMIT_PERIOD_S });
  }
}
