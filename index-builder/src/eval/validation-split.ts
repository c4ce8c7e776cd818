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
 * (carve-check.ts says why, in `report`). The mask is per training row
 * (0 = fit, TEST = validation). Every tuning choice and the heavy ranker's
 * labels come from these rows, never the test rows.
 */
export function validationCarve(train: InteractionTable, protocol: ProtocolName): { mask: Uint8Array; report: CarveReport } {
  if (protocol !== "msr") return soundCarve(train, TIME_TEST_FRACTION, VALIDATION_SEED);
  const mask = msrStratifiedSplit(train, MSR_RATIO, VALIDATION_SEED);
  return { mask, report: reportOf(train, mask, "msr", []) };
}

export function validationMask(train: InteractionTable, protocol: ProtocolName): Uint8Array {
  return validationCarve(train, protocol).mask;
}

/**
 * `count` validation carves of the same training rows, for more labelled
 * ranker rows: for `msr` the stratified split with seeds VALIDATION_SEED,
 * VALIDATION_SEED + 1, ...; `time` has one carve only (each user's most
 * recent 20% is not random), so it returns that one.
 */
export function validationMasks(train: InteractionTable, protocol: ProtocolName, count: number): Uint8Array[] {
  if (protocol !== "msr") return [validationMask(train, protocol)];
  return Array.from({ length: count }, (_, i) => msrStratifiedSplit(train, MSR_RATIO, VALIDATION_SEED + i));
}
