import { describe, expect, it } from "vitest";
import { tableFromRows } from "../../train/interaction-table";
import { parseMl100kItems } from "../ml-100k-items";
import { funnelUsers } from "./funnel-user";

describe("funnelUsers", () => {
  const table = tableFromRows([
    { userId: "1", itemId: "a", value: 5, timestampSec: 30 },
    { userId: "1", itemId: "b", value: 1, timestampSec: 10 },
    { userId: "1", itemId: "c", value: 3, timestampSec: 20 },
    { userId: "2", itemId: "a", value: 4, timestampSec: 5 },
  ]);
  const facts = new Map([["a", { itemId: "a", title: "a", categories: ["Drama"], year: null, popularity: 2, available: true, fresh: false }]]);

  it("keeps the most recent items first, caps them, and sees the whole history", () => {
    const user = funnelUsers(table, facts, 2).get(0)!;
    expect(user.recent.map((h) => table.itemIds[h.item])).toEqual(["a", "c"]);
    expect(user.seen.size).toBe(3);
    expect(user.nowMs).toBe(30_000);
    expect(user.affinities.Drama).toBeCloseTo(1);
  });
});

describe("parseMl100kItems", () => {
  it("maps genre flags to names and reads the year", () => {
    const items = parseMl100kItems("1|Toy Story (1995)|01-Jan-1995||url|0|0|1|1\n", "unknown|0\nAction|1\nAdventure|2\nAnimation|3\n");
    expect(items).toEqual([{ itemId: "1", title: "Toy Story", categories: ["Adventure", "Animation"], year: 1995, tags: [], available: true }]);
  });
});
