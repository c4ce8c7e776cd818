import { DEFAULT_TUNE } from "../build/tune-on-validation";
import { type InteractionTable } from "../train/interaction-table";
import { type CarveReport, soundCarve } from "./carve-check";

/**
 * The validation carve the build's tuning makes of an evaluation's training
 * rows (tune-on-validation.ts, DEFAULT_TUNE's fraction and seed): each user's
 * most recent 20%, or a seeded per-user random 20% when time cannot order the
 * rows or `randomBecause` says why it must not (carve-check.ts records the
 * reason in `report`). The mask is per training row (0 = fit, TEST =
 * validation). The eval's heavy ranker learns from it, as tuning chose on it;
 * never from the test rows.
 */
export function validationCarve(train: InteractionTable, randomBecause?: string): { mask: Uint8Array; report: CarveReport } {
  return soundCarve(train, DEFAULT_TUNE.fraction, DEFAULT_TUNE.seed, randomBecause);
}

/**
 * Why an evaluation's validation carves must be random: its test carve was
 * random, not by time (a time split that fell back to a per-user random
 * carve, or a given split whose test rows do not follow the training rows,
 * as MS Recommenders' split, random per item, does not), and validation
 * stands in for test. Carved by time instead, it would choose
 * what predicts each user's next rows (recency, trends) for a test that asks
 * for a random sample of them.
 */
export function randomCarveReason(test: CarveReport): string | undefined {
  return test.method === "random" ? "the test rows are a random carve, not one by time, so validation carves at random too" : undefined;
}
