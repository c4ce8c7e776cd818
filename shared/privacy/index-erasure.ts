import { type IndexManifest } from "../index-format/manifest";

/** The erasure receipt's `index` part, as the live version's manifest shows it. */
export interface IndexErasure {
  status: "done" | "pending";
  note: string;
}

/**
 * Whether the live index honours an erasure completed at `completedAt`
 * (ISO-8601): only when its build read the erasure list (the manifest's
 * `erasureList`) at or after then. The Worker records the erasure in Redis
 * before it completes the receipt, so a later read saw it, and that build
 * left the user's rows out of the base data and the events alike. A build
 * that did not read the list, or read it before, may have trained on them.
 * The two times come from different machines: a clock that lags by more than
 * the time between the erasure and the next build's read could claim done
 * early.
 */
export function indexErasure(completedAt: string, live: Pick<IndexManifest, "version" | "erasureList">): IndexErasure {
  const list = live.erasureList;
  if (list && Date.parse(list.readAt) >= Date.parse(completedAt)) {
    return {
      status: "done",
      note: `live index ${live.version} was built from data checked against the erasure list read at ${list.readAt}, after this erasure`,
    };
  }
  return {
    status: "pending",
    note: list
      ? `live index ${live.version} read the erasure list at ${list.readAt}, before this erasure; the next build leaves this user out`
      : `live index ${live.version} does not record reading the erasure list (built without Redis access, or before builds recorded it); the next build with $UPSTASH_REDIS_REST_URL/_TOKEN and $ERASURE_KEY leaves this user out`,
  };
}
