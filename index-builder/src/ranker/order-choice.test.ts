import { describe, expect, it } from "vitest";
import { mulberry32, normalSource } from "../train/seeded-random";
import { chooseOrder, pairedBootstrap } from "./order-choice";

/** Per-user nDCG of `n` users: a shared per-user difficulty plus each order's own lead and noise. */
function simulate(n: number, leads: number[], noise: number, seed: number): Float64Array[] {
  const normal = normalSource(mulberry32(seed));
  const difficulty = Array.from({ length: n }, () => 0.3 + 0.2 * normal());
  return leads.map((lead) => Float64Array.from(difficulty, (d) => d + lead + noise * normal()));
}

describe("pairedBootstrap", () => {
  it("brackets the true lead, and is seeded", () => {
    const [a, b] = simulate(2000, [0.02, 0], 0.1, 1) as [Float64Array, Float64Array];
    const ci = pairedBootstrap(a, b, { resamples: 1000, confidence: 0.95, seed: 5 });
    expect(ci.lo).toBeLessThan(0.02);
    expect(ci.hi).toBeGreaterThan(0.02);
    expect(ci.lo).toBeGreaterThan(0);
    expect(ci.lo).toBeLessThan(ci.lead);
    expect(ci.hi).toBeGreaterThan(ci.lead);
    expect(pairedBootstrap(a, b, { resamples: 1000, confidence: 0.95, seed: 5 })).toEqual(ci);
  });

  it("pairs users: a shared per-user spread does not widen the interval", () => {
    // Users differ a lot (sd 0.2), the two orders barely (sd 0.01 around a 0.005 lead): paired, the lead is clear.
    const [a, b] = simulate(400, [0.005, 0], 0.01, 2) as [Float64Array, Float64Array];
    const ci = pairedBootstrap(a, b);
    expect(ci.lo).toBeGreaterThan(0);
    expect(ci.hi - ci.lo).toBeLessThan(0.01);
  });

  it("wider confidence gives a wider interval", () => {
    const [a, b] = simulate(300, [0.01, 0], 0.1, 3) as [Float64Array, Float64Array];
    const narrow = pairedBootstrap(a, b, { resamples: 2000, confidence: 0.8, seed: 1 });
    const wide = pairedBootstrap(a, b, { resamples: 2000, confidence: 0.99, seed: 1 });
    expect(wide.lo).toBeLessThan(narrow.lo);
    expect(wide.hi).toBeGreaterThan(narrow.hi);
  });
});

describe("chooseOrder", () => {
  it("ships the heavy model when its lead is clear", () => {
    const [light, ann, heavy] = simulate(1000, [0, -0.005, 0.03], 0.05, 4) as [Float64Array, Float64Array, Float64Array];
    const choice = chooseOrder([
      { order: "light", perUser: light },
      { order: "source:ann", perUser: ann },
      { order: "heavy", perUser: heavy },
    ]);
    expect(choice.order).toBe("heavy");
    expect(choice.duels.map((d) => d.won)).toEqual([false, true]);
    expect(choice.duels[1]!.incumbent).toBe("light");
    expect(choice.users).toBe(1000);
  });

  it("keeps the light order when the heavy model's lead is within noise, even if its mean is higher", () => {
    const [light, heavy] = simulate(200, [0, 0.002], 0.1, 5) as [Float64Array, Float64Array];
    const choice = chooseOrder([
      { order: "light", perUser: light },
      { order: "heavy", perUser: heavy },
    ]);
    expect(choice.ndcgAt10.heavy!).toBeGreaterThan(choice.ndcgAt10.light!);
    expect(choice.order).toBe("light");
    expect(choice.duels[0]!.interval.lo).toBeLessThanOrEqual(0);
  });

  it("serves a single source's order when it beats light and the heavy model does not beat it", () => {
    const [light, ann, heavy] = simulate(1000, [0, 0.03, 0.031], 0.05, 6) as [Float64Array, Float64Array, Float64Array];
    const choice = chooseOrder([
      { order: "light", perUser: light },
      { order: "source:ann", perUser: ann },
      { order: "heavy", perUser: heavy },
    ]);
    expect(choice.order).toBe("source:ann");
    expect(choice.duels[1]).toMatchObject({ challenger: "heavy", incumbent: "source:ann", won: false });
  });

  it("never ships a worse model", () => {
    const [light, heavy] = simulate(1000, [0, -0.02], 0.05, 7) as [Float64Array, Float64Array];
    expect(
      chooseOrder([
        { order: "light", perUser: light },
        { order: "heavy", perUser: heavy },
      ]).order,
    ).toBe("light");
  });
});
