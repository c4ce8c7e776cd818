/**
 * Results per query at which the builder calibrates nprobe and the shortlist
 * (recall@100 against brute force; index-builder/src/ann/calibrate-nprobe.ts).
 */
export const ANN_CALIBRATION_K = 100;

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

/**
 * The PQ shortlist re-scored with SQ8 when `k` results are wanted. The
 * calibrated shortlist was chosen for ANN_CALIBRATION_K results: it re-scores
 * that many plus a margin, the PQ order's errors around the cut. A deeper
 * request (a user with 500 seen items asks for 650) keeps the margin:
 * re-scoring only k candidates would let the PQ order decide which of the
 * best unseen items come back. Never less than the calibrated shortlist or
 * k. Scaling the whole shortlist with k instead finds a little more at a
 * few times the CPU (npm run bench:ann-deep).
 */
export function annShortlist(calibrated: number, k: number): number {
  return Math.max(calibrated, k + calibrated - ANN_CALIBRATION_K);
}
