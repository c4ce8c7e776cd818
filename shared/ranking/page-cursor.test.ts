import { describe, expect, it } from "vitest";
import { cursorFitsList, decodeCursor, encodeCursor, listFingerprint } from "./page-cursor";

describe("page cursors", () => {
  const base = { offset: 20, sessionVersion: 3, indexVersion: "v1", startedMs: 1_700_000_000_000 };

  it("carry the fingerprint of the list their offset counts in", () => {
    const listId = listFingerprint("v1", ["a", "b", "c"]);
    expect(decodeCursor(encodeCursor({ ...base, listId }))).toEqual({ ...base, listId });
    expect(cursorFitsList({ ...base, listId }, listFingerprint("v1", ["a", "b", "c"]))).toBe(true);
    // Another order, another version: another list, where the offset means nothing.
    expect(cursorFitsList({ ...base, listId }, listFingerprint("v1", ["b", "a", "c"]))).toBe(false);
    expect(cursorFitsList({ ...base, listId }, listFingerprint("v2", ["a", "b", "c"]))).toBe(false);
  });

  it("still read those issued without one, which fit any list", () => {
    expect(decodeCursor(encodeCursor(base))).toEqual(base);
    expect(cursorFitsList(base, listFingerprint("v1", ["x"]))).toBe(true);
  });

  it("refuse a fingerprint that is not a 32-bit unsigned integer", () => {
    const text = (fields: unknown[]) => btoa(JSON.stringify(fields)).replace(/=+$/, "");
    expect(decodeCursor(text([20, 3, "v1", 1, -1]))).toBeNull();
    expect(decodeCursor(text([20, 3, "v1", 1, 2 ** 32]))).toBeNull();
    expect(decodeCursor(text([20, 3, "v1", 1, "x"]))).toBeNull();
  });
});
