import { describe, expect, it } from "vitest";
import { parseManifest } from "../index-format/manifest";
import { type Candidate, type UserContext } from "./candidate";
import { DEFAULT_LIGHT_WEIGHTS, lightScores, lightWeightsProblem, sourceRanks, WARM_LIGHT_WEIGHTS } from "./light-rank";

const candidates: Candidate[] = [
  { itemId: "a", sources: { ann: 3, covisit: 10 } },
  { itemId: "b", sources: { ann: 1 } },
  { itemId: "c", sources: { ann: 2, covisit: 0 } },
];
const user: UserContext = { affinities: {}, declaredCategories: [], historyLength: 1, impressionCounts: {}, surface: "home", nowMs: 0 };

describe("light ranking", () => {
  it("puts each source on one scale: ranks by default, z-scores on request", () => {
    const ranks = sourceRanks(candidates);
    expect(ranks.get("a")).toEqual({ ann: 1, covisit: 1 });
    expect(ranks.get("b")!.ann).toBeCloseTo(1 / 3, 12);
    expect(ranks.get("c")!.ann).toBeCloseTo(2 / 3, 12);
    expect(ranks.get("c")!.covisit).toBe(0.5);
    // ann: mean 2, population sd sqrt(2/3); covisit: mean 5, sd 5.
    const z = sourceRanks(candidates, "zscore");
    const sd = Math.sqrt(2 / 3);
    expect(z.get("a")!.ann).toBeCloseTo(1 / sd, 12);
    expect(z.get("b")!.ann).toBeCloseTo(-1 / sd, 12);
    expect(z.get("c")!.ann).toBeCloseTo(0, 12);
    expect(z.get("a")!.covisit).toBeCloseTo(1, 12);
    expect(z.get("c")!.covisit).toBeCloseTo(-1, 12);
    // One proposal: no spread, a z-score of 0 rather than a division by zero.
    expect(sourceRanks([{ itemId: "x", sources: { trending: 4 } }], "zscore").get("x")).toEqual({ trending: 0 });
  });

  it("weighs the normalized scores", () => {
    const weights = { ...WARM_LIGHT_WEIGHTS, normalize: "zscore" as const, popularity: 0, source: { ...WARM_LIGHT_WEIGHTS.source, ann: 1, covisit: 0.5 } };
    const scores = lightScores(candidates, new Map(), user, weights);
    const sd = Math.sqrt(2 / 3);
    expect(scores[0]).toBeCloseTo(1 / sd + 0.5, 12);
    expect(scores[1]).toBeCloseTo(-1 / sd, 12);
    expect(scores[2]).toBeCloseTo(-0.5, 12);
  });

  it("validates weights shipped in a manifest", () => {
    expect(lightWeightsProblem(DEFAULT_LIGHT_WEIGHTS)).toBeNull();
    expect(lightWeightsProblem({ ...DEFAULT_LIGHT_WEIGHTS, normalize: "zscore" })).toBeNull();
    expect(lightWeightsProblem({ ...DEFAULT_LIGHT_WEIGHTS, normalize: "softmax" })).toMatch(/normalize/);
    expect(lightWeightsProblem({ ...DEFAULT_LIGHT_WEIGHTS, popularity: Number.NaN })).toMatch(/popularity/);
    const { fresh: _fresh, ...partial } = DEFAULT_LIGHT_WEIGHTS.source;
    expect(lightWeightsProblem({ ...DEFAULT_LIGHT_WEIGHTS, source: partial })).toBe("source.fresh must be a finite number");
    const manifest = {
      formatVersion: 1,
      version: "v1",
      builtAt: "2026-01-01T00:00:00Z",
      source: { dataset: "d", newestInteractionAt: "2026-01-01T00:00:00Z" },
      counts: { items: 0, users: 0, interactions: 0, categories: 0 },
      blobs: { popular: { bytes: 1, sha256: "0".repeat(64), contentType: "application/json" } },
      fallbackItemIds: [],
    };
    expect(parseManifest({ ...manifest, ranking: { light: WARM_LIGHT_WEIGHTS } }).ranking?.light).toEqual(WARM_LIGHT_WEIGHTS);
    expect(() => parseManifest({ ...manifest, ranking: { light: { ...WARM_LIGHT_WEIGHTS, affinity: "x" } } })).toThrow(/ranking.light: affinity/);
  });
});
