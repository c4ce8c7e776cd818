import { type FunnelKnobs, SERVED_KNOBS } from "../funnel/knobs";
import { type VariantOverrides } from "./experiment";

/**
 * The funnel's knobs for a variant: the served ones with the variant's
 * overrides on top (source quotas per source, light weights whole, the heavy
 * ranker on or off, policy knobs over the surface's configured policy, the
 * exploration policy whole). The
 * index version is not a knob: the caller loads the version the variant names.
 */
export function variantKnobs(overrides: VariantOverrides, base: FunnelKnobs = SERVED_KNOBS): FunnelKnobs {
  return {
    ...base,
    quota: { ...base.quota, ...overrides.sourceQuotas },
    light: overrides.lightWeights ?? base.light,
    heavy: overrides.heavyRanker ?? base.heavy,
    policy: { ...base.policy, ...overrides.policy },
    exploration: overrides.exploration ?? base.exploration,
  };
}
