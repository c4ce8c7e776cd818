import { describe, expect, it } from "vitest";
import { changedCount, listChanges } from "./list-change";

describe("what a click changed in the list", () => {
  it("marks new items and how far kept ones moved (positive is up)", () => {
    const changes = listChanges(["a", "b", "c", "d"], ["c", "a", "x", "d"]);
    expect(Object.fromEntries(changes)).toEqual({
      c: { kind: "moved", by: 2 },
      a: { kind: "moved", by: -1 },
      x: { kind: "new" },
      d: { kind: "same" },
    });
    expect(changedCount(changes)).toBe(3);
  });

  it("marks nothing for a first list or an unchanged one", () => {
    expect(changedCount(listChanges(null, ["a", "b"]))).toBe(0);
    expect(changedCount(listChanges(["a", "b"], ["a", "b"]))).toBe(0);
  });
});
