import { describe, expect, it } from "vitest";
import { mulberry32 } from "../train/seeded-random";
import { chooseLightPoint } from "./light-choice";

/** n users' scores: a shared per-user difficulty plus the point's own effect and independent noise. */
function grid(n: number, effects: readonly number[], noise: number, seed: number): Float64Array[] {
  const uniform = mulberry32(seed);
  const base = Float64Array.from({ length: n }, () => uniform());
  return effects.map((effect) => Float64Array.from(base, (b) => b + effect + noise * (uniform() - 0.5)));
}

describe("chooseLightPoint", () => {
  it("ships a point whose lead is real, and says by how much", () => {
    const perUser = grid(600, [0, 0.01, 0.03, 0.02], 0.05, 1);
    const choice = chooseLightPoint(perUser, 0, 7);
    expect(choice.best).toBe(2);
    expect(choice.chosen).toBe(2);
    expect(choice.kept).toBe(true);
    expect(choice.crossFitted.lo).toBeGreaterThan(0);
    expect(choice.crossFitted.lead).toBeGreaterThan(0.02);
  });

  it("keeps the baseline when every point is the baseline plus noise, although one of them wins on the users that picked it", () => {
    // 60 points with no real effect: the best mean beats the baseline's by chance.
    const perUser = grid(
      600,
      Array.from({ length: 60 }, () => 0),
      0.3,
      2,
    );
    const choice = chooseLightPoint(perUser, 0, 7);
    const mean = (x: Float64Array) => x.reduce((a, b) => a + b, 0) / x.length;
    expect(mean(perUser[choice.best]!)).toBeGreaterThan(mean(perUser[0]!));
    expect(choice.kept).toBe(false);
    expect(choice.chosen).toBe(0);
    expect(choice.crossFitted.lo).toBeLessThanOrEqual(0);
  });

  it("keeps the baseline on ties, and when it is best", () => {
    const same = Float64Array.from({ length: 50 }, (_, u) => (u % 7) / 7);
    expect(chooseLightPoint([same, same, same], 1, 3)).toMatchObject({ best: 1, chosen: 1, kept: false });
    const perUser = grid(300, [0.05, 0, -0.01], 0.01, 4);
    expect(chooseLightPoint(perUser, 0, 3)).toMatchObject({ best: 0, chosen: 0, kept: false });
  });

  it("is deterministic for a seed and refuses ragged or out-of-range input", () => {
    const perUser = grid(200, [0, 0.004, 0.002], 0.2, 5);
    expect(chooseLightPoint(perUser, 0, 9)).toEqual(chooseLightPoint(perUser, 0, 9));
    expect(() => chooseLightPoint(perUser, 3, 9)).toThrow(RangeError);
    expect(() => chooseLightPoint([new Float64Array(3), new Float64Array(4)], 0, 9)).toThrow(RangeError);
  });
});
