import { describe, expect, it } from "vitest";
import { SeededRandom } from "../seeded-random";
import { type Candidate, type Source, SOURCES } from "./candidate";
import { sourceRanks } from "./source-ranks";

/** The plain definition, per source: sort its proposals (stable, so ties keep candidate order), then scale. */
function reference(candidates: readonly Candidate[], normalize: "rank" | "zscore"): Map<string, Partial<Record<Source, number>>> {
  const out = new Map<string, Partial<Record<Source, number>>>(candidates.map((c) => [c.itemId, {}]));
  for (const source of SOURCES) {
    const list = candidates.flatMap((c) =>
      c.sources[source] !== undefined && Number.isFinite(c.sources[source]) ? [{ itemId: c.itemId, score: c.sources[source]! }] : [],
    );
    const mean = list.reduce((a, x) => a + x.score, 0) / list.length;
    const spread = Math.sqrt(list.reduce((a, x) => a + (x.score - mean) ** 2, 0) / list.length) || 1;
    if (normalize === "rank") list.sort((a, b) => b.score - a.score);
    list.forEach((x, k) => (out.get(x.itemId)![source] = normalize === "rank" ? 1 - k / list.length : (x.score - mean) / spread));
  }
  return out;
}

function randomCandidates(seed: number, n: number): Candidate[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, (_, i) => ({
    itemId: `c${i}`,
    // Few distinct scores, so ties are common; now and then a non-finite one, which ranks nowhere.
    sources: Object.fromEntries(SOURCES.filter(() => rng.next() < 0.4).map((s) => [s, rng.next() < 0.02 ? Number.NaN : rng.int(6) - 2])),
  }));
}

describe("source ranks", () => {
  it("agree with ranking and standardizing each source's proposals on its own", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const candidates = randomCandidates(seed, seed * 7);
      for (const normalize of ["rank", "zscore"] as const) {
        const got = sourceRanks(candidates, normalize);
        const want = reference(candidates, normalize);
        candidates.forEach((c, i) =>
          SOURCES.forEach((s, k) => expect(got[i * SOURCES.length + k], `${normalize} ${c.itemId} ${s}`).toBeCloseTo(want.get(c.itemId)![s] ?? 0, 12)),
        );
      }
    }
  });

  it("ranks by score, best 1, and standardizes with the population spread", () => {
    const candidates: Candidate[] = [
      { itemId: "a", sources: { ann: 3, covisit: 10 } },
      { itemId: "b", sources: { ann: 1 } },
      { itemId: "c", sources: { ann: 2, covisit: 0 } },
    ];
    const at = (r: Float64Array, i: number, s: Source) => r[i * SOURCES.length + SOURCES.indexOf(s)];
    const ranks = sourceRanks(candidates);
    expect([at(ranks, 0, "ann"), at(ranks, 1, "ann"), at(ranks, 2, "ann")]).toEqual([1, 1 - 2 / 3, 1 - 1 / 3]);
    expect([at(ranks, 0, "covisit"), at(ranks, 1, "covisit"), at(ranks, 2, "covisit")]).toEqual([1, 0, 0.5]);
    // ann: mean 2, population sd sqrt(2/3); covisit: mean 5, sd 5.
    const z = sourceRanks(candidates, "zscore");
    expect(at(z, 0, "ann")).toBeCloseTo(1 / Math.sqrt(2 / 3), 12);
    expect(at(z, 2, "covisit")).toBeCloseTo(-1, 12);
    // One proposal: no spread, a z-score of 0 rather than a division by zero.
    expect(sourceRanks([{ itemId: "x", sources: { trending: 4 } }], "zscore")[SOURCES.indexOf("trending")]).toBe(0);
  });
});
