import { describe, expect, it } from "vitest";
import { neighborsOf, scoreByCovisitation } from "../../../shared/covisit/covisit-lists";
import { buildCovisitation } from "./covisitation";
import { distinctHistories, EASE_MAX_ITEMS, easeLists, easeWeights } from "./ease";
import { tableFromRows } from "./interaction-table";
import { mulberry32 } from "./seeded-random";

function randomTable(users: number, items: number, seed: number) {
  const uniform = mulberry32(seed);
  const rows = [];
  for (let u = 0; u < users; u++)
    for (let i = 0; i < items; i++) if (uniform() < 0.3) rows.push({ userId: `u${u}`, itemId: `i${i}`, value: 1, timestampSec: u });
  return tableFromRows(
    rows,
    Array.from({ length: items }, (_, i) => `i${i}`),
  );
}

describe("easeLists", () => {
  const table = randomTable(40, 15, 3);
  const n = table.itemIds.length;
  const b = easeWeights(distinctHistories(table), n, 5);

  it("holds each row of B's largest positive weights, best first, at most topN", () => {
    const lists = easeLists(table, 5, 4);
    for (let i = 0; i < n; i++) {
      const { items, scores } = neighborsOf(lists, i);
      const positive = Array.from({ length: n }, (_, j) => b[i * n + j]!)
        .filter((w) => w > 0)
        .sort((x, y) => y - x);
      expect(items.length).toBe(Math.min(4, positive.length));
      scores.forEach((s, k) => expect(s).toBeCloseTo(positive[k]!, 6));
      items.forEach((j) => expect(j).not.toBe(i));
    }
  });

  it("scores a history as EASE's x·B over the positive weights when the lists are uncut", () => {
    const lists = easeLists(table, 5, n);
    const history = distinctHistories(table)[0]!;
    const out = new Map<number, number>();
    scoreByCovisitation(
      lists,
      history.map((item) => ({ item, weight: 1 })),
      out,
    );
    for (let j = 0; j < n; j++) {
      let expected = 0;
      for (const i of history) expected += Math.max(0, b[i * n + j]!);
      expect(out.get(j) ?? 0).toBeCloseTo(expected, 5);
    }
  });

  it("is what buildCovisitation returns for similarity ease, which needs a λ, and refuses a catalogue too large to invert", () => {
    expect(buildCovisitation(table, { topN: 4, halfLifeSec: Infinity, minUsers: 1, similarity: "ease", easeRegularization: 5 })).toEqual(
      easeLists(table, 5, 4),
    );
    expect(() => buildCovisitation(table, { topN: 4, halfLifeSec: Infinity, minUsers: 1, similarity: "ease" })).toThrow(/easeRegularization/);
    const big = tableFromRows(
      [{ userId: "u", itemId: "x0", value: 1, timestampSec: 0 }],
      Array.from({ length: EASE_MAX_ITEMS + 1 }, (_, i) => `x${i}`),
    );
    expect(() => easeLists(big, 5, 4)).toThrow(/up to 5000 items/);
  });
});
