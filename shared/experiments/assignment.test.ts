import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { allocatesByRegion, assign, experimentsFor, inHoldout, mergeOverrides, variantKey } from "./assignment";
import { BUCKETS, bucketOf, fmix32, fnv1aUtf8 } from "./bucket-hash";
import vectors from "./bucket-hash.vectors.json";
import { type Experiment, type ExperimentSet, NO_HOLDOUT } from "./experiment";
import { assertNoOverlap, parseExperimentDefinition, parseHoldout } from "./experiment-input";
import { srmTest } from "./stats/chi-square";
import { variantKnobs } from "./variant-knobs";

function experiment(body: Record<string, unknown>): Experiment {
  return { ...parseExperimentDefinition(body), status: "running", createdAtMs: 0, updatedAtMs: 0, startedAtMs: 0, stoppedAtMs: null };
}

const base = {
  id: "exp1",
  control: "a",
  variants: { a: {}, b: { policy: { explorationRate: 0.2 } } },
  allocation: { default: { a: 50, b: 50 }, BR: { a: 10, b: 90 } },
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : "not an AppError";
  }
  return undefined;
}

describe("bucket hash", () => {
  it("reproduces the committed vectors (made by an independent implementation)", () => {
    for (const v of vectors.vectors) {
      expect(fnv1aUtf8(`${v.salt}:${v.unit}`)).toBe(v.fnv1a);
      expect(fmix32(v.fnv1a)).toBe(v.fmix32);
      expect(bucketOf(v.salt, v.unit)).toBe(v.bucket);
    }
  });

  it("spreads sequential ids evenly over the buckets (chi-square over 100 cells)", () => {
    const cells = new Array<number>(100).fill(0);
    for (let i = 0; i < 100_000; i++) cells[Math.floor(bucketOf("exp-home", `user-${i}`) / 100)]!++;
    const expected = Object.fromEntries(cells.map((_, i) => [i, 1000]));
    expect(srmTest(Object.fromEntries(cells.map((c, i) => [i, c])), expected).pValue).toBeGreaterThan(0.001);
  });

  it("gives independent buckets under different salts", () => {
    let both = 0;
    for (let i = 0; i < 20_000; i++) if (bucketOf("s1", `u${i}`) < BUCKETS / 2 && bucketOf("s2", `u${i}`) < BUCKETS / 2) both++;
    expect(both / 20_000).toBeGreaterThan(0.24);
    expect(both / 20_000).toBeLessThan(0.26);
  });
});

describe("assignment", () => {
  it("follows the region's allocation, the default elsewhere", () => {
    const e = experiment(base);
    const count = (region: string) => {
      let b = 0;
      for (let i = 0; i < 20_000; i++) if (assign(e, `user-${i}`, region).variant === "b") b++;
      return b / 20_000;
    };
    expect(count("br")).toBeCloseTo(0.9, 1);
    expect(count("us")).toBeCloseTo(0.5, 1);
    expect(allocatesByRegion(e)).toBe(true);
    expect(assign(e, "user-1", "br")).toEqual(assign(e, "user-1", "br"));
  });

  it("keeps experiments of one layer exclusive and layers orthogonal", () => {
    const set: ExperimentSet = {
      holdout: NO_HOLDOUT,
      running: [
        experiment({ ...base, id: "left", layer: "ranking", traffic: 50 }),
        experiment({ ...base, id: "right", layer: "ranking", traffic: 50, trafficOffset: 50 }),
        experiment({ ...base, id: "other", layer: "policy", traffic: 50 }),
      ],
    };
    let left = 0;
    let otherAndLeft = 0;
    for (let i = 0; i < 20_000; i++) {
      const ids = experimentsFor(set, `user-${i}`, "home").map((e) => e.id);
      expect(ids.includes("left") && ids.includes("right")).toBe(false);
      expect(ids.includes("left") || ids.includes("right")).toBe(true);
      if (ids.includes("left")) left++;
      if (ids.includes("left") && ids.includes("other")) otherAndLeft++;
    }
    expect(left / 20_000).toBeCloseTo(0.5, 1);
    expect(otherAndLeft / 20_000).toBeCloseTo(0.25, 1);
  });

  it("puts a holdout's units in no experiment, and only them", () => {
    const holdout = parseHoldout({ percent: 2 });
    const set: ExperimentSet = { holdout, running: [experiment(base)] };
    let held = 0;
    for (let i = 0; i < 50_000; i++) {
      const unit = `user-${i}`;
      const out = experimentsFor(set, unit, "home");
      if (inHoldout(set, unit)) {
        held++;
        expect(out).toEqual([]);
      } else expect(out.map((e) => e.id)).toEqual(["exp1"]);
    }
    expect(held / 50_000).toBeGreaterThan(0.017);
    expect(held / 50_000).toBeLessThan(0.023);
  });

  it("restricts to the configured surfaces", () => {
    const set: ExperimentSet = { holdout: NO_HOLDOUT, running: [experiment({ ...base, surfaces: ["related"] })] };
    expect(experimentsFor(set, "u1", "home")).toEqual([]);
    expect(experimentsFor(set, "u1", "related")).toHaveLength(1);
  });

  it("merges overrides with the first layer winning, and names the variant for cache keys", () => {
    const a = { experimentId: "x", variant: "b", region: "us", overrides: { policy: { mmrLambda: 0.5 }, indexVersion: "v1" } };
    const b = { experimentId: "y", variant: "a", region: "us", overrides: { policy: { mmrLambda: 0.7, frequencyCap: 2 }, heavyRanker: false } };
    expect(mergeOverrides([a, b])).toEqual({ policy: { mmrLambda: 0.5, frequencyCap: 2 }, indexVersion: "v1", heavyRanker: false });
    expect(variantKey([a, b], false)).toBe("x=b+y=a");
    expect(variantKey([], true)).toBe("holdout");
    expect(variantKey([], false)).toBe("default");
  });
});

describe("experiment definitions", () => {
  it("normalizes region keys and traffic to buckets", () => {
    const d = parseExperimentDefinition({ ...base, traffic: 12.5, trafficOffset: 10 });
    expect(d).toMatchObject({ salt: "exp1", layer: "default", trafficStart: 1000, trafficEnd: 2250, surfaces: [] });
    expect(Object.keys(d.allocation)).toEqual(["default", "br"]);
    expect(d.variants.map((v) => v.id)).toEqual(["a", "b"]);
  });

  it("refuses bad configs with a code each", () => {
    expect(codeOf(() => parseExperimentDefinition({ ...base, allocation: { default: { a: 50, b: 40 } } }))).toBe("invalid_allocation");
    expect(codeOf(() => parseExperimentDefinition({ ...base, allocation: { BR: { a: 50, b: 50 } } }))).toBe("invalid_allocation");
    expect(codeOf(() => parseExperimentDefinition({ ...base, allocation: { default: { a: 50, c: 50 } } }))).toBe("invalid_allocation");
    expect(codeOf(() => parseExperimentDefinition({ ...base, variants: { a: {}, b: { mmr: 0.5 } } }))).toBe("unknown_knob");
    expect(codeOf(() => parseExperimentDefinition({ ...base, variants: { a: {}, b: { policy: { explorationSlot: 3 } } } }))).toBe("unknown_knob");
    expect(codeOf(() => parseExperimentDefinition({ ...base, variants: { a: {}, b: { sourceQuotas: { nope: 3 } } } }))).toBe("unknown_knob");
    expect(codeOf(() => parseExperimentDefinition({ ...base, variants: { a: {}, b: { policy: { mmrLambda: 3 } } } }))).toBe("invalid_experiment");
    expect(codeOf(() => parseExperimentDefinition({ ...base, colour: "red" }))).toBe("unknown_knob");
    expect(codeOf(() => parseExperimentDefinition({ ...base, control: "z" }))).toBe("invalid_experiment");
    expect(codeOf(() => parseExperimentDefinition({ ...base, traffic: 60, trafficOffset: 50 }))).toBe("invalid_experiment");
    expect(codeOf(() => parseHoldout({ percent: 2, offset: 99 }))).toBe("invalid_holdout");
    const exploration = (e: unknown) => codeOf(() => parseExperimentDefinition({ ...base, variants: { a: {}, b: { exploration: e } } }));
    expect(exploration({ policy: "softmax", temperature: 0.5, topN: 8, from: 4 })).toBeUndefined();
    expect(exploration({ policy: "epsilon", rate: 0.2, from: 3 })).toBeUndefined();
    expect(exploration({ policy: "thompson", rate: 0.2, from: 3 })).toBe("invalid_experiment");
    expect(exploration({ policy: "softmax", temperature: 0.5, topN: 13, from: 4 })).toBe("invalid_experiment");
    expect(exploration({ policy: "softmax", temperature: 0, topN: 8, from: 4 })).toBe("invalid_experiment");
    expect(exploration({ policy: "softmax", temperature: 0.5, from: 4 })).toBe("invalid_experiment");
    expect(exploration({ policy: "epsilon", rate: 0.2, from: 3, temperature: 1 })).toBe("unknown_knob");
  });

  it("carries a variant's exploration policy into its funnel knobs, the first layer winning", () => {
    const softmax = { policy: "softmax" as const, temperature: 0.5, topN: 8, from: 4 };
    const d = parseExperimentDefinition({ ...base, variants: { a: {}, b: { exploration: softmax } } });
    expect(d.variants[1]!.overrides.exploration).toEqual(softmax);
    const merged = mergeOverrides([
      { experimentId: "x", variant: "b", region: "us", overrides: { exploration: softmax } },
      { experimentId: "y", variant: "b", region: "us", overrides: { exploration: { policy: "epsilon", rate: 0.3, from: 2 } } },
    ]);
    expect(variantKnobs(merged).exploration).toEqual(softmax);
    expect(variantKnobs({}).exploration).toBeNull();
  });

  it("refuses a traffic range that overlaps an unstopped experiment of the same layer", () => {
    const running = experiment({ ...base, id: "first", traffic: 60 });
    const next = parseExperimentDefinition({ ...base, id: "second", traffic: 50, trafficOffset: 50 });
    expect(codeOf(() => assertNoOverlap(next, [running]))).toBe("overlapping_experiment");
    expect(codeOf(() => assertNoOverlap(next, [{ ...running, status: "stopped" }]))).toBeUndefined();
    expect(codeOf(() => assertNoOverlap({ ...next, layer: "other" }, [running]))).toBeUndefined();
  });
});
