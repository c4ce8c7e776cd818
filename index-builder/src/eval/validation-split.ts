import { type InteractionTable } from "../train/interaction-table";
import { msrStratifiedSplit } from "./msr-split";
import { MSR_RATIO, type ProtocolName, TIME_TEST_FRACTION } from "./protocols";
import { perUserTimeSplit } from "./time-split";
import { VALIDATION_SEED } from "./tuned-params";

/**
 * The validation rows carved from a protocol's training rows, by the
 * protocol's own procedure: for `msr` the per-item stratified split again
 * (ratio 0.75, seed VALIDATION_SEED), for `time` each user's most recent 20%.
 * Returns a mask per training row (0 = fit, TEST = validation). Every tuning
 * choice and the heavy ranker's labels come from these rows, never the test rows.
 */
export function validationMask(train: InteractionTable, protocol: ProtocolName): Uint8Array {
  return protocol === "msr" ? msrStratifiedSplit(train, MSR_RATIO, VALIDATION_SEED) : perUserTimeSplit(train, TIME_TEST_FRACTION);
}
