import { describe, expect, it } from "vitest";
import { SERVED_KNOBS } from "../funnel/knobs";
import { DEFAULT_LIGHT_WEIGHTS } from "../ranking/light-rank";
import { variantKnobs } from "./variant-knobs";

describe("variant knobs", () => {
  it("are the served knobs when a variant overrides nothing", () => {
    expect(variantKnobs({})).toEqual(SERVED_KNOBS);
  });

  it("lay each override over the served knobs and leave the rest", () => {
    const knobs = variantKnobs({
      sourceQuotas: { trending: 5 },
      heavyRanker: false,
      lightWeights: DEFAULT_LIGHT_WEIGHTS,
      policy: { explorationRate: 0.3 },
      indexVersion: "v2",
    });
    expect(knobs).toEqual({
      ...SERVED_KNOBS,
      quota: { ...SERVED_KNOBS.quota, trending: 5 },
      heavy: false,
      light: DEFAULT_LIGHT_WEIGHTS,
      policy: { explorationRate: 0.3 },
    });
    expect(SERVED_KNOBS.quota.trending).not.toBe(5);
  });
});
