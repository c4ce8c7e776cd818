import { describe, expect, it } from "vitest";
import { tableFromRows } from "../train/interaction-table";
import { carveProblems, describeCarve, perUserRandomSplit, soundCarve } from "./carve-check";
import { TEST } from "./msr-split";
import { perUserTimeSplit } from "./time-split";

/** users × itemsPerUser rows; item of row k of user u is (u + k) mod items; time from `time(u, k)`. */
function table(users: number, perUser: number, items: number, time: (u: number, k: number) => number) {
  const rows = [];
  for (let u = 0; u < users; u++)
    for (let k = 0; k < perUser; k++) rows.push({ userId: `u${u}`, itemId: `i${(u + k) % items}`, value: 1, timestampSec: time(u, k) });
  return tableFromRows(rows);
}

describe("carve checks", () => {
  it("keep the time carve when timestamps order each user's rows", () => {
    const t = table(50, 10, 40, (u, k) => 1000 * k + u);
    const { mask, report } = soundCarve(t, 0.2, 1);
    expect(report).toMatchObject({ method: "time", fallbackReasons: [], problems: [], heldOutUsers: 50, heldOutRows: 100 });
    expect(mask).toEqual(perUserTimeSplit(t, 0.2));
  });

  it("fall back, with the reason, to a seeded per-user random carve without timestamps", () => {
    const t = table(50, 10, 40, () => 0);
    const { mask, report } = soundCarve(t, 0.2, 1);
    expect(report.method).toBe("random");
    expect(report.fallbackReasons).toEqual(["no or constant timestamps (every row has the same time)"]);
    expect(report.problems).toEqual([]);
    expect(mask).toEqual(perUserRandomSplit(t, 0.2, 1));
    expect(mask).not.toEqual(perUserRandomSplit(t, 0.2, 2));
    // Two held out of each user's ten, as the time carve would.
    const held = new Map<number, number>();
    mask.forEach((m, r) => m === TEST && held.set(t.users[r]!, (held.get(t.users[r]!) ?? 0) + 1));
    expect([...held.values()].every((n) => n === 2)).toBe(true);
  });

  it("carve at random when asked, with the caller's reason, though time could carve; time's own problems come first", () => {
    const ordered = table(50, 10, 40, (u, k) => 1000 * k + u);
    const forced = soundCarve(ordered, 0.2, 1, "the test carve is random");
    expect(forced.report).toMatchObject({ method: "random", fallbackReasons: ["the test carve is random"], problems: [] });
    expect(forced.mask).toEqual(perUserRandomSplit(ordered, 0.2, 1));
    const untimed = soundCarve(
      table(50, 10, 40, () => 0),
      0.2,
      1,
      "the test carve is random",
    );
    expect(untimed.report.fallbackReasons).toEqual(["no or constant timestamps (every row has the same time)"]);
    // The log says which: a random carve asked for is no warning; time's own problems are.
    expect(forced.report.randomAsked).toBe(true);
    expect(untimed.report.randomAsked).toBeUndefined();
    expect(describeCarve("tuning validation", forced.report)).toContain(
      "\ntuning validation: a seeded per-user random carve, as asked (the test carve is random)",
    );
    expect(describeCarve("tuning validation", forced.report)).not.toContain("WARNING");
    expect(describeCarve("tuning validation", untimed.report)).toContain("WARNING: tuning validation: the time carve is unsound (no or constant timestamps");
  });

  it("refuse a time carve whose cut falls inside runs of equal timestamps", () => {
    // Each user's rows share one time (per user), so "most recent" is file order.
    const t = table(50, 10, 40, (u) => u * 10);
    expect(carveProblems(t, perUserTimeSplit(t, 0.2), true)[0]).toMatch(/cut falls between rows of equal timestamp/);
  });

  it("flag held-out rows mostly on items the fit rows never show", () => {
    // Every user's newest items are their own: nobody's fit rows contain them.
    const rows = [];
    for (let u = 0; u < 30; u++) {
      for (let k = 0; k < 4; k++) rows.push({ userId: `u${u}`, itemId: `shared${k}`, value: 1, timestampSec: k });
      rows.push({ userId: `u${u}`, itemId: `own${u}`, value: 1, timestampSec: 10 });
    }
    const t = tableFromRows(rows);
    const problems = carveProblems(t, perUserTimeSplit(t, 0.2), true);
    expect(problems).toEqual(["100.0% of held-out rows are items the fit rows never show"]);
  });

  it("flag too few users even for a random carve", () => {
    const t = table(5, 10, 8, () => 0);
    expect(soundCarve(t, 0.2, 1).report.problems).toEqual(["only 5 users have held-out rows (need 20)"]);
  });
});
