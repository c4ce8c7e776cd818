/** IVF-PQ knobs for an index built before the builder calibrated them (manifest `ann.calibration`): the Worker's funnel and the eval. */
export const UNCALIBRATED_ANN_KNOBS = { nprobe: 16, shortlist: 300 } as const;

/**
 * Most extra ANN results asked for to make up for items the user has seen
 * (they are filtered after the sources merge). Users with long histories
 * have their best unseen items deep in the ANN order; on ML-100K validation
 * a cap of 300 cost users with more than 300 seen items recall
 * (0.889 against 0.992 for users with at most 150).
 */
export const SEEN_PAD_MAX = 1000;

/** How many ANN results to ask for so that `quota` unseen ones remain after removing `seenCount` seen items. */
export function annResultsWanted(quota: number, seenCount: number): number {
  return quota + Math.min(seenCount, SEEN_PAD_MAX);
}
