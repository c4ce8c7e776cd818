import { describe, expect, it } from "vitest";
import { parseManifest } from "../index-format/manifest";
import { type Candidate, type UserContext } from "./candidate";
import { DEFAULT_LIGHT_WEIGHTS, lightScores, lightWeightsProblem, WARM_LIGHT_WEIGHTS } from "./light-rank";

const candidates: Candidate[] = [
  { itemId: "a", sources: { ann: 3, covisit: 10 } },
  { itemId: "b", sources: { ann: 1 } },
  { itemId: "c", sources: { ann: 2, covisit: 0 } },
];
const user: UserContext = { affinities: {}, declaredCategories: [], historyLength: 1, impressionCounts: {}, surface: "home", nowMs: 0 };

describe("light ranking", () => {
  it("weighs the normalized scores", () => {
    const weights = { ...WARM_LIGHT_WEIGHTS, normalize: "zscore" as const, popularity: 0, source: { ...WARM_LIGHT_WEIGHTS.source, ann: 1, covisit: 0.5 } };
    const scores = lightScores(candidates, new Map(), user, weights);
    const sd = Math.sqrt(2 / 3);
    expect(scores[0]).toBeCloseTo(1 / sd + 0.5, 12);
    expect(scores[1]).toBeCloseTo(-1 / sd, 12);
    expect(scores[2]).toBeCloseTo(-0.5, 12);
  });

  it("scores an item whose id or category Object.prototype also names like any other item", () => {
    const ids = ["plain", "constructor", "toString", "__proto__", "valueOf"];
    const facts = new Map(
      ids.map((id) => [
        id,
        { itemId: id, title: id, categories: id === "plain" ? ["p"] : [id, "hasOwnProperty"], year: null, popularity: 3, available: true, fresh: false },
      ]),
    );
    // Equal source scores standardize to 0 each (ranks would break the tie by position).
    const weights = { ...DEFAULT_LIGHT_WEIGHTS, normalize: "zscore" as const };
    expect(weights.affinity * weights.perImpression).not.toBe(0);
    const scores = lightScores(
      ids.map((itemId) => ({ itemId, sources: { ann: 1 } })),
      facts,
      user,
      weights,
    );
    expect([...scores].every(Number.isFinite)).toBe(true);
    expect(new Set(scores).size).toBe(1);
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
    expect(parseManifest({ ...manifest, ranking: { light: WARM_LIGHT_WEIGHTS, order: "source:ann" } }).ranking?.order).toBe("source:ann");
    expect(() => parseManifest({ ...manifest, ranking: { light: WARM_LIGHT_WEIGHTS, order: "best" } })).toThrow(/ranking.order/);
  });
});
