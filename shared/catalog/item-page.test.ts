import { describe, expect, it } from "vitest";
import { decodeItemPage, encodeItemPage, itemPageBytes, pageIdAt, searchRow, selectItemPage } from "./item-page";

describe("item page", () => {
  const entries = Array.from({ length: 40 }, (_, i) => ({
    itemId: `item-${i * 3}${"é".repeat(i % 3)}`,
    row: i * 5,
    categoryMask: (1 << (i % 7)) >>> 0,
    popularity: 100 - i,
    year: 1990 + i,
    available: i % 4 !== 0,
  }));
  const page = decodeItemPage(encodeItemPage(entries));

  it("selects entries into a page of their own bytes, equal entry for entry, and as long as its encoding", () => {
    const ks = [1, 2, 7, 30, 39];
    const picked = selectItemPage(page, ks);
    expect(picked.count).toBe(ks.length);
    ks.forEach((k, j) => {
      expect(pageIdAt(picked, j)).toBe(entries[k]!.itemId);
      expect(picked.rows[j]).toBe(entries[k]!.row);
      expect(picked.categoryMask[j]).toBe(entries[k]!.categoryMask);
      expect(picked.popularity[j]).toBe(entries[k]!.popularity);
      expect(picked.year[j]).toBe(entries[k]!.year);
      expect((picked.flags[j]! & 1) === 1).toBe(entries[k]!.available);
    });
    // Rows stay ascending, so the selection is a facts page a row search works on.
    expect(searchRow(picked, entries[30]!.row)).toBe(3);
    expect(searchRow(picked, entries[3]!.row)).toBe(-1);
    expect(picked.rows.buffer).not.toBe(page.rows.buffer);
    expect(itemPageBytes(picked)).toBe(encodeItemPage(ks.map((k) => entries[k]!)).byteLength);
    expect(selectItemPage(page, []).count).toBe(0);
  });
});
