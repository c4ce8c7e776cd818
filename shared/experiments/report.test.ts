import { describe, expect, it } from "vitest";
import { SeededRandom } from "../seeded-random";
import { type Experiment } from "./experiment";
import { parseExperimentDefinition } from "./experiment-input";
import { parseGuardHash, parseUsersHash } from "./redis-rows";
import { buildReport, type ExposedUser } from "./report";
import { reportMarkdown } from "./report-markdown";

const experiment: Experiment = {
  ...parseExperimentDefinition({ id: "r1", control: "a", variants: { a: {}, b: {} }, allocation: { default: { a: 50, b: 50 }, br: { a: 10, b: 90 } } }),
  status: "running",
  createdAtMs: 0,
  updatedAtMs: 0,
  startedAtMs: 0,
  stoppedAtMs: null,
};

/** Users of a region split with probability `shareB` into b; b's click probability is `ctrB`. */
function users(rng: SeededRandom, n: number, region: string, shareB: number, ctrA: number, ctrB: number): ExposedUser[] {
  return Array.from({ length: n }, (_, i) => {
    const variant = rng.next() < shareB ? "b" : "a";
    const impressions = 1 + rng.int(8);
    let clicks = 0;
    for (let k = 0; k < impressions; k++) if (rng.next() < (variant === "b" ? ctrB : ctrA)) clicks++;
    return { userId: `${region}-${i}`, variant, region, impressions, events: { click: clicks }, preImpressions: 0, preClicks: 0 };
  });
}

describe("experiment report", () => {
  it("reports per region and pooled, with the SRM expected from each region's allocation", () => {
    const rng = new SeededRandom(7);
    const all = [...users(rng, 3000, "br", 0.9, 0.1, 0.2), ...users(rng, 3000, "us", 0.5, 0.1, 0.1)];
    const r = buildReport(experiment, all, new Map(), 0);
    expect(r.srmFlagged).toBe(false);
    expect(r.regions.map((s) => s.scope)).toEqual(["br", "us"]);
    const br = r.regions[0]!.variants.find((v) => v.variant === "b")!;
    expect(br.lift!.relativeCi[0]).toBeGreaterThan(0.5);
    const us = r.regions[1]!.variants.find((v) => v.variant === "b")!;
    expect(us.lift!.relativeCi[0]).toBeLessThan(0);
    expect(us.lift!.relativeCi[1]).toBeGreaterThan(0);
    // Pooled: 2,700 + 1,500 expected in b out of 6,000, not 3,000.
    expect(r.pooled.srm.expected.b).toBeCloseTo(4200, 0);
    expect(r.pooled.cuped.on).toBe(false);
  });

  it("reads a stored experiment's shares by own key: a variant named constructor that a region leaves out", () => {
    // Stored before such names were refused (the parser refuses them now): brazil gives constructor no share.
    const stored: Experiment = {
      ...experiment,
      id: "r-own",
      control: "constructor",
      variants: [
        { id: "constructor", overrides: {} },
        { id: "a", overrides: {} },
      ],
      allocation: JSON.parse('{"default": {"constructor": 50, "a": 50}, "br": {"a": 100}}') as Experiment["allocation"],
    };
    const exposed = (n: number, region: string, variant: string): ExposedUser[] =>
      Array.from({ length: n }, (_, i) => ({
        userId: `${region}-${variant}-${i}`,
        variant,
        region,
        impressions: 1,
        events: {},
        preImpressions: 0,
        preClicks: 0,
      }));
    // As configured: Brazil all in a, elsewhere half and half.
    const r = buildReport(stored, [...exposed(400, "br", "a"), ...exposed(200, "us", "a"), ...exposed(200, "us", "constructor")], new Map(), 0);
    expect(r.pooled.srm.expected).toEqual({ constructor: 200, a: 600 });
    expect(r.srmFlagged).toBe(false);
    // Nobody in constructor in the US: a split the pooled test must flag. Before, constructor's expected count was NaN
    // (Brazil's share of it read off Object.prototype), left out of the test, which then had one cell and flagged nothing.
    const off = buildReport(stored, [...exposed(400, "br", "a"), ...exposed(400, "us", "a")], new Map(), 0);
    expect(off.pooled.srm.expected).toEqual({ constructor: 200, a: 600 });
    expect(off.pooled.srm.mismatch).toBe(true);
  });

  it("voids a report whose split is not the configured one, loudly", () => {
    const rng = new SeededRandom(8);
    const r = buildReport(experiment, users(rng, 10_000, "us", 0.55, 0.1, 0.1), new Map(), 0);
    expect(r.srmFlagged).toBe(true);
    expect(r.notes[0]).toMatch(/SAMPLE RATIO MISMATCH/);
    expect(reportMarkdown(r)).toContain("WARNING: SAMPLE RATIO MISMATCH. Do not read the metrics below.");
  });

  it("reads the Redis hashes: users, counts, guardrail histograms", () => {
    const u = parseUsersHash({ u1: "b|br|123", "u1|i": "4", "u1|e:click": 2, "u1|pi": "3", "u1|pc": "1", "orphan|i": 9 });
    expect(u).toEqual([{ userId: "u1", variant: "b", region: "br", impressions: 4, events: { click: 2 }, preImpressions: 3, preClicks: 1 }]);
    const g = parseGuardHash({ "b|n": 20, "b|deg": 1, "b|err": 1, "b|t:3": 18, "b|t:40": 2 });
    const r = buildReport(experiment, u, g, 0);
    expect(r.guardrails.find((x) => x.variant === "b")).toEqual({ variant: "b", impressions: 20, serverP95Ms: 40, degradedShare: 0.05, errorShare: 1 / 21 });
  });
});
