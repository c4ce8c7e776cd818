import { type InteractionTable } from "../train/interaction-table";
import { type CarveReport, reportOf, soundCarve } from "./carve-check";
import { msrStratifiedSplit } from "./msr-split";
import { MSR_RATIO, type ProtocolName, TIME_TEST_FRACTION } from "./protocols";
import { VALIDATION_SEED } from "./tuned-params";

/**
 * The validation rows carved from a protocol's training rows, by the
 * protocol's own procedure: for `msr` the per-item stratified split again
 * (ratio 0.75, seed VALIDATION_SEED), for `time` each user's most recent
 * 20%, or a seeded per-user random 20% when time cannot order the rows
 * or `randomBecause` says why it must not (carve-check.ts records the
 * reason in `report`). The mask is per training row
 * (0 = fit, TEST = validation). Every tuning choice and the heavy ranker's
 * labels come from these rows, never the test rows.
 */
export function validationCarve(train: InteractionTable, protocol: ProtocolName, randomBecause?: string): { mask: Uint8Array; report: CarveReport } {
  if (protocol !== "msr") return soundCarve(train, TIME_TEST_FRACTION, VALIDATION_SEED, randomBecause);
  const mask = msrStratifiedSplit(train, MSR_RATIO, VALIDATION_SEED);
  return { mask, report: reportOf(train, mask, "msr", []) };
}

export function validationMask(train: InteractionTable, protocol: ProtocolName, randomBecause?: string): Uint8Array {
  return validationCarve(train, protocol, randomBecause).mask;
}

/**
 * Why a `time` evaluation's validation carves must be random: its test
 * carve fell back to a per-user random one, and validation stands in for
 * test. Carved by time instead, it would choose what predicts each user's
 * next rows (recency, trends) for a test that asks for a random sample of them.
 */
export function randomCarveReason(test: CarveReport): string | undefined {
  return test.method === "random" ? "the test rows are a per-user random carve, so validation carves the same way" : undefined;
}

/**
 * `count` validation carves of the same training rows, for more labelled
 * ranker rows: for `msr` the stratified split with seeds VALIDATION_SEED,
 * VALIDATION_SEED + 1, ...; `time` has one carve only (each user's most
 * recent 20% is not random), so it returns that one.
 */
export function validationMasks(train: InteractionTable, protocol: ProtocolName, count: number, randomBecause?: string): Uint8Array[] {
  if (protocol !== "msr") return [validationMask(train, protocol, randomBecause)];
  return Array.from({ length: count }, (_, i) => msrStratifiedSplit(train, MSR_RATIO, VALIDATION_SEED + i));
}
