import { describe, expect, it } from "vitest";
import { parseServerTiming, waterfall } from "./server-timing";

describe("the Server-Timing waterfall", () => {
  it("reads the stages in header order and leaves out entries without a duration", () => {
    expect(parseServerTiming("index;dur=1.5, cache;desc=miss, session;dur=0, total;dur=4")).toEqual([
      { stage: "index", durMs: 1.5 },
      { stage: "session", durMs: 0 },
      { stage: "total", durMs: 4 },
    ]);
    expect(parseServerTiming(null)).toEqual([]);
    expect(parseServerTiming("x;dur=abc, y;dur=-1")).toEqual([]);
  });

  it("starts each stage where the one before ended, on the scale of the total", () => {
    const bars = waterfall(parseServerTiming("a;dur=1, b;dur=3, total;dur=8"));
    expect(bars.map((b) => [b.stage, b.start, b.width])).toEqual([
      ["a", 0, 0.125],
      ["b", 0.125, 0.375],
      ["total", 0, 1],
    ]);
  });

  it("never draws past the line: stages that add up to more than the total set the scale", () => {
    const bars = waterfall([
      { stage: "a", durMs: 6 },
      { stage: "b", durMs: 6 },
      { stage: "total", durMs: 10 },
    ]);
    for (const bar of bars) expect(bar.start + bar.width).toBeLessThanOrEqual(1);
    expect(bars.find((b) => b.stage === "b")!.start + bars.find((b) => b.stage === "b")!.width).toBeCloseTo(1, 12);
    expect(waterfall([{ stage: "a", durMs: 0 }])).toEqual([{ stage: "a", durMs: 0, start: 0, width: 0 }]);
  });
});
