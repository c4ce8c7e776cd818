import { AppError } from "../../../shared/errors";

/**
 * A `.catch` handler for a read or write of a store the Worker depends on
 * (D1, Redis, a user's Durable Object): its failure is the store's, not the
 * caller's nor a bug of the route, so the answer is a 503
 * `dependency_unavailable` naming the store and saying what to do, never a
 * 500. An AppError thrown on purpose passes through as it is.
 */
export function unavailable(store: string, consequence = "nothing was changed; retry"): (cause: unknown) => never {
  return (cause: unknown) => {
    if (cause instanceof AppError) throw cause;
    throw new AppError("dependency_unavailable", `${store} could not be reached; ${consequence}`, { retryAfterS: 5 }, { cause });
  };
}
