import { describe, expect, it } from "vitest";
import { SeededRandom } from "../seeded-random";
import { SOURCES } from "./candidate";
import { decodeRankedList, encodeRankedList, type RankedEntry, type RankedList } from "./ranked-list";

const CATEGORIES = ["Drama", "Comedy", "Sci-Fi", "Film-Noir", "Children's", "Thriller"];

function randomList(seed: number, n: number): RankedList {
  const rng = new SeededRandom(seed);
  const entries = Array.from({ length: n }, (_, i): RankedEntry => {
    const sources = SOURCES.filter(() => rng.next() < 0.3);
    return {
      itemId: `item-${seed}-${i}`,
      score: Math.round((rng.next() * 4 - 2) * 1e6) / 1e6,
      sources: sources.length > 0 ? sources : ["popular"],
      ...(rng.next() < 0.2 ? { becauseOf: `seen-${rng.int(50)}` } : {}),
      explored: rng.next() < 0.1,
      propensity: rng.next() < 0.8 ? 1 : Math.round(rng.next() * 1e6) / 1e6,
      interests: CATEGORIES.filter(() => rng.next() < 0.25),
    };
  });
  return {
    indexVersion: `v${seed}`,
    sessionVersion: rng.int(1000),
    region: rng.next() < 0.5 ? "global" : "de",
    entries,
    titles: Object.fromEntries(entries.slice(0, 20).map((e) => [e.itemId, `Title "${e.itemId}" (1999)`])),
    degraded: rng.next() < 0.3 ? ["heavy_ranker_warming"] : [],
    ranker: rng.next() < 0.5 ? "heavy" : "light",
  };
}

describe("ranked list codec", () => {
  it("decodes exactly what it encoded, for lists of every size", () => {
    for (let seed = 1; seed <= 60; seed++) {
      const list = randomList(seed, seed % 7 === 0 ? 0 : seed * 3);
      expect(decodeRankedList(encodeRankedList(list))).toEqual(list);
    }
  });

  it("is much smaller than the list as plain JSON", () => {
    const list = randomList(7, 100);
    expect(encodeRankedList(list).length).toBeLessThan(JSON.stringify(list).length / 2);
  });

  it("reads anything else as no list", () => {
    const good = JSON.parse(encodeRankedList(randomList(3, 10))) as Record<string, unknown>;
    const bad = [
      "",
      "not json",
      "null",
      "[]",
      // A list in the earlier shape, one object per entry.
      JSON.stringify(randomList(3, 10)),
      JSON.stringify({ ...good, format: 2 }),
      JSON.stringify({ ...good, scores: (good.scores as number[]).slice(1) }),
      JSON.stringify({ ...good, interests: (good.interests as number[][]).map(() => [99]) }),
      JSON.stringify({ ...good, ranker: "other" }),
    ];
    for (const text of bad) expect(decodeRankedList(text), text.slice(0, 40)).toBeNull();
  });
});
