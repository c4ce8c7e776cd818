import { describe, expect, it } from "vitest";
import { type Candidate, type ItemFacts, SOURCES, type UserContext } from "./candidate";
import { FEATURE_COUNT, FEATURE_NAMES, featureRow, featureRows, listColumns, rankWithin, slog } from "./features";

const at = (row: Float32Array, name: string) => row[FEATURE_NAMES.indexOf(name)]!;

const facts: ItemFacts = { itemId: "m1", title: "Heat", categories: ["Action", "Crime"], year: 1995, popularity: 42, available: true, fresh: false };
const ctx: UserContext = {
  affinities: { Action: 3, Crime: -1, Drama: 1 },
  declaredCategories: ["Crime"],
  historyLength: 7,
  impressionCounts: { m1: 2 },
  surface: "home",
  nowMs: Date.UTC(2025, 5, 1),
};

function row(candidate: Candidate, f: ItemFacts | null = facts, c: UserContext = ctx): Float32Array {
  const out = new Float32Array(FEATURE_COUNT);
  featureRow(
    candidate,
    f,
    c,
    listColumns([candidate], () => f, [0]),
    0,
    out,
    0,
  );
  return out;
}

describe("featureRow", () => {
  it("has one unique name per column", () => {
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_COUNT);
    expect(FEATURE_COUNT).toBe(4 * SOURCES.length + 19);
  });

  it("marks exactly the proposing sources, with their slog scores", () => {
    const r = row({ itemId: "m1", sources: { ann: 0.8, popular: 120 } });
    for (const s of SOURCES) expect(at(r, `${s}_present`)).toBe(s === "ann" || s === "popular" ? 1 : 0);
    expect(at(r, "ann_score")).toBeCloseTo(Math.log1p(0.8), 6);
    expect(at(r, "popular_score")).toBeCloseTo(Math.log1p(120), 5);
    expect(at(r, "covisit_score")).toBe(0);
    expect(at(r, "ann_rank")).toBe(1);
    expect(at(r, "covisit_rank")).toBe(0);
    expect(at(r, "source_count")).toBe(2);
  });

  it("describes the item and the user", () => {
    const r = row({ itemId: "m1", sources: { ann: 1 } });
    expect(at(r, "log_popularity")).toBeCloseTo(Math.log1p(42), 5);
    expect(at(r, "affinity_max")).toBeCloseTo(slog(3), 6);
    expect(at(r, "affinity_mean")).toBeCloseTo(slog(1), 6);
    expect(at(r, "affinity_share")).toBeCloseTo(3 / 4, 6);
    expect(at(r, "declared_match")).toBe(0.5);
    expect(at(r, "category_count")).toBe(2);
    expect(at(r, "item_age_decades")).toBeCloseTo(3, 6);
    expect(at(r, "year_unknown")).toBe(0);
    expect(at(r, "times_shown")).toBeCloseTo(Math.log1p(2), 6);
    expect(at(r, "history_length")).toBeCloseTo(Math.log1p(7), 6);
    expect(at(r, "fresh")).toBe(0);
  });

  it("zeroes the item columns of an unknown item and never emits NaN", () => {
    const r = row({ itemId: "x", sources: { trending: Number.NaN, fresh: Infinity } }, null, { ...ctx, affinities: {} });
    expect([...r].every(Number.isFinite)).toBe(true);
    expect(at(r, "source_count")).toBe(0);
    expect(at(r, "year_unknown")).toBe(1);
    expect(at(r, "category_count")).toBe(0);
  });

  it("reads no Object.prototype property as a user signal, for items and categories so named", () => {
    const f: ItemFacts = { ...facts, itemId: "constructor", categories: ["constructor", "toString"] };
    const c: UserContext = { ...ctx, affinities: {}, impressionCounts: {}, covisitWith: {}, categoryGap: {} };
    for (const itemId of ["constructor", "toString", "__proto__"]) {
      const r = row({ itemId, sources: { ann: 1 } }, { ...f, itemId }, c);
      expect([...r].every(Number.isFinite)).toBe(true);
      expect([at(r, "times_shown"), at(r, "affinity_max"), at(r, "affinity_mean")]).toEqual([0, 0, 0]);
      expect([at(r, "covisit_strength"), at(r, "covisit_recent"), at(r, "covisit_links")]).toEqual([0, 0, 0]);
      expect([at(r, "category_gap"), at(r, "category_unmet")]).toEqual([0, 1]);
    }
  });

  it("ranks candidates within each source of the request", () => {
    const candidates: Candidate[] = [
      { itemId: "a", sources: { ann: 0.1, covisit: 2 } },
      { itemId: "b", sources: { ann: 0.9 } },
      { itemId: "c", sources: { ann: 0.5, covisit: 1 } },
      { itemId: "d", sources: { popular: 3 } },
    ];
    const rows = featureRows(candidates, () => facts, ctx, [4, 3, 2, 1]);
    const col = (name: string) => candidates.map((_, i) => rows[i * FEATURE_COUNT + FEATURE_NAMES.indexOf(name)]);
    expect(col("ann_rank")).toEqual([1 / 3, 1, 2 / 3, 0].map(Math.fround));
    expect(col("covisit_rank")).toEqual([1, 0, 0.5, 0]);
    expect(col("popular_rank")).toEqual([0, 0, 0, 1]);
    expect(col("light_rank")).toEqual([1, 0.75, 0.5, 0.25]);
    // z-scores over the source's proposals: ann 0.1, 0.9, 0.5 has mean 0.5 and spread sqrt(0.32/3).
    const spread = Math.sqrt(0.32 / 3);
    col("ann_z").forEach((z, i) => expect(z).toBeCloseTo([(0.1 - 0.5) / spread, (0.9 - 0.5) / spread, 0, 0][i]!, 5));
    expect(col("covisit_z")).toEqual([1, 0, -1, 0]);
  });

  it("ranks within the list with ties to the earlier position", () => {
    expect([...rankWithin([2, 5, 2, 1])]).toEqual([0.75, 1, 0.5, 0.25]);
    expect([...rankWithin([])]).toEqual([]);
  });

  it("carries co-visitation with the recent items and how recently each category was met", () => {
    const c = { ...ctx, covisitWith: { m1: { strength: 2.5, recent: 0.5, links: 3 } }, categoryGap: { Crime: 4, Action: 1, Drama: 0 } };
    const r = row({ itemId: "m1", sources: { ann: 1 } }, facts, c);
    expect(at(r, "covisit_strength")).toBeCloseTo(slog(2.5), 6);
    expect(at(r, "covisit_recent")).toBeCloseTo(slog(0.5), 6);
    expect(at(r, "covisit_links")).toBeCloseTo(Math.log1p(3), 6);
    // The nearest of the item's categories (Action, 1 item back); Drama is not the item's.
    expect(at(r, "category_gap")).toBeCloseTo(Math.log1p(1), 6);
    expect(at(r, "category_unmet")).toBe(0);
    const unmet = row({ itemId: "m2", sources: { ann: 1 } }, { ...facts, itemId: "m2", categories: ["Horror"] }, c);
    expect(at(unmet, "covisit_strength")).toBe(0);
    expect(at(unmet, "covisit_links")).toBe(0);
    expect(at(unmet, "category_gap")).toBe(0);
    expect(at(unmet, "category_unmet")).toBe(1);
  });

  it("fills rows at their offset and is deterministic", () => {
    const candidates: Candidate[] = [
      { itemId: "m1", sources: { ann: 0.5 } },
      { itemId: "m2", sources: { covisit: 0.2, content: 3 } },
    ];
    const factsOf = (id: string) => (id === "m1" ? facts : null);
    const rows = featureRows(candidates, factsOf, ctx, [2, 1]);
    const list = listColumns(candidates, factsOf, [2, 1]);
    const one = (i: number) => {
      const out = new Float32Array(FEATURE_COUNT);
      featureRow(candidates[i]!, factsOf(candidates[i]!.itemId), ctx, list, i, out, 0);
      return out;
    };
    expect(rows).toHaveLength(2 * FEATURE_COUNT);
    expect(rows.subarray(0, FEATURE_COUNT)).toEqual(one(0));
    expect(rows.subarray(FEATURE_COUNT)).toEqual(one(1));
    expect(featureRows(candidates, factsOf, ctx, [2, 1])).toEqual(rows);
  });
});
