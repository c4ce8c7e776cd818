import { describe, expect, it } from "vitest";
import { calendarProblem } from "./calendar";

describe("calendarProblem", () => {
  it("passes every real date of four years, leap years by the Gregorian rule, against Date.UTC", () => {
    for (const year of [1900, 2000, 2024, 2026]) {
      for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 86_400_000) {
        expect(calendarProblem(new Date(t).toISOString())).toBeNull();
      }
    }
    expect(calendarProblem("1900-02-29")).toBe("day 29 does not exist in 1900-02, which has 28 days");
    expect(calendarProblem("2000-02-29")).toBeNull();
    expect(calendarProblem("0000-02-29T00:00Z")).toBeNull();
  });

  it.each([
    ["2026-00-10T00:00:00Z", "month 00 does not exist (01-12)"],
    ["2026-13-01", "month 13 does not exist (01-12)"],
    ["2026-12-00T00:00:00Z", "day 00 does not exist in 2026-12, which has 31 days"],
    ["2026-04-31 10:00", "day 31 does not exist in 2026-04, which has 30 days"],
    ["2026-12-05T24:00:00Z", "hour 24 does not exist (00-23; midnight is 00:00 of the next day)"],
    ["2026-12-05T10:60", "minute 60 does not exist (00-59)"],
    ["2026-12-31T23:59:60Z", "second 60 does not exist (00-59; a leap second has no epoch time)"],
    ["2026-12-05T10:00:00+24:00", "offset 24:00 does not exist (at most 23:59)"],
    ["2026-12-05T10:00:00.5-0560", "offset 05:60 does not exist (at most 23:59)"],
  ])("refuses %s: %s", (text, problem) => {
    expect(calendarProblem(text)).toBe(problem);
  });

  it("leaves texts of other forms to the caller's format check", () => {
    for (const text of ["yesterday", "1765000000000", "2026/11/31", "Nov 31 2026", "20261131T000000Z"]) expect(calendarProblem(text)).toBeNull();
  });
});
