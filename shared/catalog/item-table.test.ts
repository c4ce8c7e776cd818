import { describe, expect, it } from "vitest";
import { categoriesAt, decodeItemTable, encodeItemTable, findItem, isAvailable, itemIdAt, type ItemTableRow } from "./item-table";

function rng(seed: number) {
  let a = seed >>> 0;
  return () => (a = (Math.imul(a ^ (a >>> 15), 1 | a) + 0x6d2b79f5) >>> 0) / 4294967296;
}

describe("item table", () => {
  it("round-trips rows and finds every id (and no other) by binary search", () => {
    const rand = rng(3);
    const rows: ItemTableRow[] = Array.from({ length: 500 }, (_, i) => ({
      itemId: i % 7 === 0 ? `é-${i}` : String(Math.floor(rand() * 1e6)) + `-${i}`,
      categories: [0, 5, 31].filter(() => rand() < 0.5),
      year: rand() < 0.2 ? null : 1900 + (i % 120),
      popularity: rand() * 100,
      available: rand() < 0.9,
    }));
    const { bytes, order } = encodeItemTable(rows, 32);
    // An odd offset forces the copy path of the decoder.
    const shifted = new Uint8Array(bytes.byteLength + 1);
    shifted.set(bytes, 1);
    for (const table of [decodeItemTable(bytes), decodeItemTable(shifted.subarray(1))]) {
      expect(table.count).toBe(500);
      for (const row of rows) {
        const at = findItem(table, row.itemId);
        expect(at).toBeGreaterThanOrEqual(0);
        expect(itemIdAt(table, at)).toBe(row.itemId);
        expect(order[at]).toBe(row.itemId);
        expect(categoriesAt(table, at)).toEqual([...row.categories].sort((a, b) => a - b));
        expect(table.year[at]).toBe(row.year ?? 0);
        expect(table.popularity[at]).toBeCloseTo(row.popularity, 4);
        expect(isAvailable(table, at)).toBe(row.available);
      }
      for (const missing of ["", "zzz", "0", "é"]) expect(findItem(table, missing)).toBe(-1);
    }
  });

  it("rejects duplicates, too many categories and a truncated blob", () => {
    const row = { itemId: "a", categories: [], year: null, popularity: 0, available: true };
    expect(() => encodeItemTable([row, row], 1)).toThrow(/duplicate/);
    expect(() => encodeItemTable([row], 33)).toThrow(/32/);
    const { bytes } = encodeItemTable([row], 1);
    expect(() => decodeItemTable(bytes.subarray(0, bytes.byteLength - 1))).toThrow(/item table/);
    expect(() => decodeItemTable(bytes.subarray(0, 40))).toThrow(/item table/);
  });

  it("puts rows in descending popularity, ties in id order, so hot items share pages", () => {
    const rand = rng(9);
    const rows: ItemTableRow[] = Array.from({ length: 300 }, (_, i) => ({
      itemId: `item-${Math.floor(rand() * 1e6)}-${i}`,
      categories: [],
      year: null,
      // Coarse, so ties are common.
      popularity: Math.floor(rand() * 10),
      available: true,
    }));
    const { bytes, order } = encodeItemTable(rows, 0);
    const table = decodeItemTable(bytes);
    const want = [...rows].sort((a, b) => b.popularity - a.popularity || (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0)).map((r) => r.itemId);
    expect(order).toEqual(want);
    expect(order.map((_, row) => itemIdAt(table, row))).toEqual(want);
  });

  it("still reads a table written before the id index (ITB1: rows in id order)", () => {
    const ids = ["a", "b", "c10", "c2", "é"];
    const enc = new TextEncoder();
    const idBytes = ids.map((id) => enc.encode(id));
    const n = ids.length;
    const total = idBytes.reduce((s, b) => s + b.byteLength, 0);
    const fixed = 16 + 4 * (n + 1) + 4 * n + 4 * n + 2 * n + n;
    const bytes = new Uint8Array(Math.ceil(fixed / 4) * 4 + total);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 0x31425449, true);
    view.setUint32(4, n, true);
    view.setUint32(8, 0, true);
    view.setUint32(12, total, true);
    let at = 0;
    idBytes.forEach((b, i) => {
      view.setUint32(16 + 4 * i, at, true);
      bytes.set(b, Math.ceil(fixed / 4) * 4 + at);
      at += b.byteLength;
    });
    view.setUint32(16 + 4 * n, at, true);
    const table = decodeItemTable(bytes);
    ids.forEach((id, row) => {
      expect(findItem(table, id)).toBe(row);
      expect(itemIdAt(table, row)).toBe(id);
    });
    expect(findItem(table, "c")).toBe(-1);
  });
});
