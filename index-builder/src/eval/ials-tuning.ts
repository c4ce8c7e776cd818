import { DEFAULT_IALS, type IalsOptions } from "../train/implicit-als";

/**
 * iALS hyper-parameters for the MSR ML-100K protocol, chosen on validation
 * data only (see tune-ials.ts): the MSR training rows are split again with the
 * same per-item stratified procedure (ratio 0.75, seed VALIDATION_SEED); models
 * train on the inner 75% and are scored by nDCG@10 on the held-out 25%, with the
 * inner training items removed. The test rows are never looked at.
 */
export const VALIDATION_SEED = 7;

export const MSR_IALS: IalsOptions = { ...DEFAULT_IALS, dims: 128 };

/** ml-latest-small, time protocol: the MSR choice carried over (no separate tuning yet). */
export const TIME_IALS: IalsOptions = { ...MSR_IALS, dims: 64 };
