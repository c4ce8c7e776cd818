import { describe, expect, it } from "vitest";
import { tableFromRows } from "../train/interaction-table";
import { perUserRandomSplit, soundCarve } from "./carve-check";
import { DEFAULT_TUNE } from "../build/tune-on-validation";
import { TIME_TEST_FRACTION } from "./protocols";
import { perUserTimeSplit } from "./time-split";
import { randomCarveReason, validationCarve } from "./validation-split";

/** 60 users × 10 rows with distinct, ordered times: a sound time carve. */
const ordered = tableFromRows(
  Array.from({ length: 600 }, (_, r) => ({
    userId: `u${Math.floor(r / 10)}`,
    itemId: `i${(3 * (r % 10) + Math.floor(r / 10)) % 40}`,
    value: 1,
    timestampSec: 1000 * (r % 10) + r,
  })),
);

describe("validation carves of an evaluation", () => {
  it("carve by time when the test rows were carved by time, and at random, saying why, when they were random", () => {
    const timeTest = soundCarve(ordered, 0.2, 3).report;
    expect(timeTest.method).toBe("time");
    expect(randomCarveReason(timeTest)).toBeUndefined();
    expect(validationCarve(ordered, randomCarveReason(timeTest)).mask).toEqual(perUserTimeSplit(ordered, 0.2));

    const randomTest = { ...timeTest, method: "random" as const };
    const reason = randomCarveReason(randomTest);
    expect(reason).toMatch(/test rows are a random carve, not one by time/);
    const carve = validationCarve(ordered, reason);
    expect(carve.report).toMatchObject({ method: "random", fallbackReasons: [reason] });
    expect(carve.mask).not.toEqual(perUserTimeSplit(ordered, 0.2));
    // The seeded per-user random carve a log without timestamps gets.
    expect(carve.mask).toEqual(perUserRandomSplit(ordered, TIME_TEST_FRACTION, DEFAULT_TUNE.seed));
  });

  it("are random only for a random test carve, not for another kind", () => {
    const msr = { ...soundCarve(ordered, 0.2, 3).report, method: "msr" as const };
    expect(randomCarveReason(msr)).toBeUndefined();
  });
});
