import { describe, expect, it } from "vitest";
import { tableFromRows } from "../train/interaction-table";
import { perUserRandomSplit, soundCarve } from "./carve-check";
import { TIME_TEST_FRACTION } from "./protocols";
import { perUserTimeSplit } from "./time-split";
import { VALIDATION_SEED } from "./tuned-params";
import { randomCarveReason, validationCarve, validationMasks } from "./validation-split";

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
    expect(validationCarve(ordered, "time", randomCarveReason(timeTest)).mask).toEqual(perUserTimeSplit(ordered, 0.2));

    const randomTest = { ...timeTest, method: "random" as const };
    const reason = randomCarveReason(randomTest);
    expect(reason).toMatch(/test rows are a per-user random carve/);
    const carve = validationCarve(ordered, "time", reason);
    expect(carve.report).toMatchObject({ method: "random", fallbackReasons: [reason] });
    expect(carve.mask).not.toEqual(perUserTimeSplit(ordered, 0.2));
    expect(validationMasks(ordered, "time", 1, reason)).toEqual([carve.mask]);
    // The seeded per-user random carve a log without timestamps gets.
    expect(carve.mask).toEqual(perUserRandomSplit(ordered, TIME_TEST_FRACTION, VALIDATION_SEED));
  });

  it("leave the msr protocol's stratified carve alone", () => {
    const msr = { ...soundCarve(ordered, 0.2, 3).report, method: "msr" as const };
    expect(randomCarveReason(msr)).toBeUndefined();
    expect(validationCarve(ordered, "msr").report.method).toBe("msr");
  });
});
