import { describe, expect, it } from "vitest";
import { erasureTag } from "../../../shared/privacy/erasure-tag";
import { type Dataset } from "../data/movielens";
import { dropErasedRows, earliestRead, erasedCheck } from "./erasures";

const KEY = "k".repeat(32);

describe("dropErasedRows: the base data without erased users", () => {
  it("drops an erased user's rows from before the erasure, keeps what they did after and everyone else's", async () => {
    const dataset: Dataset = {
      name: "t",
      items: [],
      interactions: [
        { userId: "gone", itemId: "a", rating: null, timestampMs: 1000 },
        { userId: "gone", itemId: "b", rating: null, timestampMs: 0 },
        { userId: "gone", itemId: "c", rating: null, timestampMs: 9000 },
        { userId: "kept", itemId: "a", rating: null, timestampMs: 1000 },
      ],
    };
    const erasures = new Map([[await erasureTag(KEY, "gone"), 5000]]);
    // An undated row counts as before the erasure.
    expect(await dropErasedRows(dataset, erasedCheck(erasures, KEY))).toBe(2);
    expect(dataset.interactions.map((x) => `${x.userId}:${x.itemId}`)).toEqual(["gone:c", "kept:a"]);
  });

  it("changes nothing without an erasure list, and refuses to guess without the key once anyone was erased", async () => {
    const dataset: Dataset = { name: "t", items: [], interactions: [{ userId: "u", itemId: "a", rating: null, timestampMs: 1 }] };
    expect(await dropErasedRows(dataset, undefined)).toBe(0);
    expect(await dropErasedRows(dataset, erasedCheck(new Map(), undefined))).toBe(0);
    expect(dataset.interactions).toHaveLength(1);
    expect(() => erasedCheck(new Map([["tag", 1]]), undefined)).toThrow(/set \$ERASURE_KEY/);
  });
});

describe("earliestRead: what a build that read the erasure list twice honoured", () => {
  it("is the earlier read, and nothing when either read is unknown", () => {
    const early = { readAt: "2026-12-05T10:00:00.000Z", erasedUsers: 1 };
    const late = { readAt: "2026-12-05T10:05:00.000Z", erasedUsers: 2 };
    expect(earliestRead(early, late)).toBe(early);
    expect(earliestRead(late, early)).toBe(early);
    expect(earliestRead(undefined, late)).toBeUndefined();
    expect(earliestRead(early, undefined)).toBeUndefined();
  });
});
