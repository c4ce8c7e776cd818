import { describe, expect, it } from "vitest";
import { tableFromRows } from "../train/interaction-table";
import { perUserTimeSplit } from "./time-split";

describe("perUserTimeSplit", () => {
  it("tests each user's most recent fifth, ties by file order, single-row users train", () => {
    const rows = [
      ...[50, 10, 40, 20, 30, 30, 60, 70, 80, 90].map((t, i) => ({ userId: "a", itemId: String(i), value: 1, timestampSec: t })),
      { userId: "b", itemId: "1", value: 1, timestampSec: 5 },
    ];
    const mask = perUserTimeSplit(tableFromRows(rows), 0.2);
    expect(Array.from(mask)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0]);
    const tie = perUserTimeSplit(tableFromRows(rows.slice(0, 6).map((r) => ({ ...r, timestampSec: 1 }))), 0.2);
    expect(Array.from(tie)).toEqual([0, 0, 0, 0, 0, 1]);
  });
});
