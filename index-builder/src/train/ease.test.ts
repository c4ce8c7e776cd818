import { describe, expect, it } from "vitest";
import { neighborsOf, scoreByCovisitation } from "../../../shared/covisit/covisit-lists";
import { buildCovisitation } from "./covisitation";
import { distinctHistories, dlaeWeights, EASE_MAX_ITEMS, easeWeights, linearLists } from "./ease";
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

describe("linearLists with EASE", () => {
  const table = randomTable(40, 15, 3);
  const n = table.itemIds.length;
  const b = easeWeights(distinctHistories(table), n, 5);

  it("holds each row of B's largest positive weights, best first, at most topN", () => {
    const lists = linearLists(table, 5, 4);
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
    const lists = linearLists(table, 5, n);
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
      linearLists(table, 5, 4),
    );
    expect(() => buildCovisitation(table, { topN: 4, halfLifeSec: Infinity, minUsers: 1, similarity: "ease" })).toThrow(/easeRegularization/);
    const big = tableFromRows(
      [{ userId: "u", itemId: "x0", value: 1, timestampSec: 0 }],
      Array.from({ length: EASE_MAX_ITEMS + 1 }, (_, i) => `x${i}`),
    );
    expect(() => linearLists(big, 5, 4)).toThrow(/up to 5000 items/);
  });
});

describe("dlaeWeights and DLAE lists", () => {
  const table = randomTable(40, 15, 5);
  const n = table.itemIds.length;
  const histories = distinctHistories(table);
  const gram = new Float64Array(n * n);
  for (const items of histories) for (const i of items) for (const j of items) gram[i * n + j]! += 1;

  it("solves (G + Λ)·B = G with Λ = p/(1−p)·diag(G) + λ, checked by multiplying back", () => {
    for (const [lambda, p] of [
      [5, 0.5],
      [1, 0],
      [20, 0.8],
    ] as const) {
      const b = dlaeWeights(histories, n, lambda, p);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let lhs = 0;
          for (let k = 0; k < n; k++) lhs += (gram[i * n + k]! + (i === k ? (p / (1 - p)) * gram[i * n + i]! + lambda : 0)) * b[k * n + j]!;
          expect(lhs).toBeCloseTo(gram[i * n + j]!, 6);
        }
    }
  });

  it("shrinks towards zero as the dropout grows, and refuses a dropout outside [0, 1)", () => {
    const norm = (b: Float64Array) => b.reduce((s, x) => s + x * x, 0);
    expect(norm(dlaeWeights(histories, n, 5, 0.8))).toBeLessThan(norm(dlaeWeights(histories, n, 5, 0.2)));
    expect(() => dlaeWeights(histories, n, 5, 1)).toThrow(/dropout/);
    expect(() => dlaeWeights(histories, n, 5, -0.1)).toThrow(/dropout/);
  });

  it("cuts rows of B to their largest positive off-diagonal weights, as buildCovisitation does for similarity dlae", () => {
    const b = dlaeWeights(histories, n, 5, 0.5);
    const lists = linearLists(table, 5, 4, { kind: "dlae", dropout: 0.5 });
    for (let i = 0; i < n; i++) {
      const { items, scores } = neighborsOf(lists, i);
      const positive = Array.from({ length: n }, (_, j) => (j === i ? 0 : b[i * n + j]!))
        .filter((w) => w > 0)
        .sort((x, y) => y - x);
      expect(items.length).toBe(Math.min(4, positive.length));
      scores.forEach((s, k) => expect(s).toBeCloseTo(positive[k]!, 6));
      items.forEach((j) => expect(j).not.toBe(i));
    }
    const options = { topN: 4, halfLifeSec: Infinity, minUsers: 1, similarity: "dlae" as const, easeRegularization: 5 };
    expect(buildCovisitation(table, { ...options, dlaeDropout: 0.5 })).toEqual(lists);
    expect(() => buildCovisitation(table, options)).toThrow(/dlaeDropout/);
  });

  it("over a head of the items most users met: the model on those columns alone, no list for the rest", () => {
    const head = 6;
    const lists = linearLists(table, 5, 4, { kind: "dlae", dropout: 0.5 }, head);
    const users = Array.from({ length: n }, (_, i) => histories.filter((h) => h.includes(i)).length);
    const columns = Array.from({ length: n }, (_, i) => i)
      .sort((x, y) => users[y]! - users[x]! || x - y)
      .slice(0, head)
      .sort((x, y) => x - y);
    const local = histories.map((h) => h.filter((i) => columns.includes(i)).map((i) => columns.indexOf(i)));
    const b = dlaeWeights(local, head, 5, 0.5);
    for (let i = 0; i < n; i++) {
      const { items, scores } = neighborsOf(lists, i);
      const c = columns.indexOf(i);
      if (c < 0) {
        expect(items.length).toBe(0);
        continue;
      }
      const want = Array.from({ length: head }, (_, j) => ({ item: columns[j]!, w: j === c ? 0 : b[c * head + j]! }))
        .filter((x) => x.w > 0)
        .sort((x, y) => y.w - x.w)
        .slice(0, 4);
      expect(Array.from(items)).toEqual(want.map((x) => x.item));
      scores.forEach((s, k) => expect(s).toBeCloseTo(want[k]!.w, 6));
    }
  });
});
