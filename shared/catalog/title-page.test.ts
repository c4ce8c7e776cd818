import { describe, expect, it } from "vitest";
import { decodeTitlePage, decodeTitlePatch, encodeTitlePage, encodeTitlePatch } from "./title-page";

describe("title pages", () => {
  it("round-trips titles, multi-byte and empty ones included", () => {
    const titles = ["Toy Story (1995)", "", "Amélie (2001)", "千と千尋の神隠し", "x".repeat(300)];
    const page = decodeTitlePage(encodeTitlePage(titles));
    expect(page.count).toBe(titles.length);
    expect(titles.map((_, k) => page.title(k))).toEqual(titles);
    expect(page.title(titles.length)).toBe("");
    // At an odd offset inside a larger buffer, as a KV read may hand it over.
    const bytes = encodeTitlePage(titles);
    const shifted = new Uint8Array(bytes.byteLength + 3);
    shifted.set(bytes, 3);
    expect(decodeTitlePage(shifted.subarray(3)).title(3)).toBe(titles[3]);
  });

  it("rejects a truncated or foreign page", () => {
    const bytes = encodeTitlePage(["a", "b"]);
    expect(() => decodeTitlePage(bytes.subarray(0, bytes.byteLength - 1))).toThrow(/offsets/);
    expect(() => decodeTitlePage(new TextEncoder().encode('["a","b"]'))).toThrow(/magic|truncated/);
  });

  it("patches: looks a row's title up, and says undefined for rows it does not list", () => {
    const patch = decodeTitlePatch(
      encodeTitlePatch([
        { row: 900, title: "Amélie (2001)" },
        { row: 3, title: "" },
        { row: 40, title: "Heat" },
      ]),
    );
    expect(patch).toMatchObject({ count: 3, lastRow: 900 });
    expect([3, 40, 900].map((row) => patch.title(row))).toEqual(["", "Heat", "Amélie (2001)"]);
    for (const row of [0, 4, 39, 41, 899, 901]) expect(patch.title(row)).toBeUndefined();
    expect(decodeTitlePatch(encodeTitlePatch([]))).toMatchObject({ count: 0, lastRow: -1 });
    expect(() =>
      encodeTitlePatch([
        { row: 1, title: "a" },
        { row: 1, title: "b" },
      ]),
    ).toThrow(/twice/);
  });

  it("rejects a truncated, foreign or disordered patch", () => {
    const bytes = encodeTitlePatch([
      { row: 1, title: "a" },
      { row: 2, title: "b" },
    ]);
    expect(() => decodeTitlePatch(bytes.subarray(0, bytes.byteLength - 1))).toThrow(/offsets/);
    expect(() => decodeTitlePatch(encodeTitlePage(["a"]))).toThrow(/magic/);
    const swapped = bytes.slice();
    new DataView(swapped.buffer).setUint32(8, 5, true);
    expect(() => decodeTitlePatch(swapped)).toThrow(/ascending/);
  });
});
