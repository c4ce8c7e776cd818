import { describe, expect, it } from "vitest";
import { type Candidate, type ItemFacts, SOURCES, type UserContext } from "./candidate";
import { FEATURE_COUNT, FEATURE_NAMES, featureRow, featureRows, slog } from "./features";
import { sourceRanks } from "./source-ranks";

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
  featureRow(candidate, f, c, sourceRanks([candidate]), 0, out, 0);
  return out;
}

describe("featureRow", () => {
  it("has one unique name per column", () => {
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_COUNT);
    expect(FEATURE_COUNT).toBe(3 * SOURCES.length + 12);
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

  it("ranks candidates within each source of the request", () => {
    const candidates: Candidate[] = [
      { itemId: "a", sources: { ann: 0.1, covisit: 2 } },
      { itemId: "b", sources: { ann: 0.9 } },
      { itemId: "c", sources: { ann: 0.5, covisit: 1 } },
      { itemId: "d", sources: { popular: 3 } },
    ];
    const rows = featureRows(candidates, () => facts, ctx);
    const col = (name: string) => candidates.map((_, i) => rows[i * FEATURE_COUNT + FEATURE_NAMES.indexOf(name)]);
    expect(col("ann_rank")).toEqual([1 / 3, 1, 2 / 3, 0].map(Math.fround));
    expect(col("covisit_rank")).toEqual([1, 0, 0.5, 0]);
    expect(col("popular_rank")).toEqual([0, 0, 0, 1]);
  });

  it("fills rows at their offset and is deterministic", () => {
    const candidates: Candidate[] = [
      { itemId: "m1", sources: { ann: 0.5 } },
      { itemId: "m2", sources: { covisit: 0.2, content: 3 } },
    ];
    const rows = featureRows(candidates, (id) => (id === "m1" ? facts : null), ctx);
    expect(rows).toHaveLength(2 * FEATURE_COUNT);
    expect(rows.subarray(0, FEATURE_COUNT)).toEqual(row(candidates[0]!));
    expect(rows.subarray(FEATURE_COUNT)).toEqual(row(candidates[1]!, null));
    expect(featureRows(candidates, (id) => (id === "m1" ? facts : null), ctx)).toEqual(rows);
  });
});
