import { describe, expect, it } from "vitest";
import { decodeTitlePage, decodeTitlePatch, encodeTitlePage } from "../../../shared/catalog/title-page";
import { type TitleBase, titleBlobs, type TitleBlobs } from "./title-blobs";

const SIZE = 16;
const titles = Array.from({ length: 100 }, (_, i) => `Film ${i}`);
const baseOf = (built: TitleBlobs, pageSize = SIZE): TitleBase => ({ pageSize, page: (p) => built.pages[p] ?? null });
/** What a reader sees: the patch's title, else the page's. */
const served = (built: TitleBlobs, n: number, pageSize = SIZE) => {
  const patch = built.patch ? decodeTitlePatch(built.patch) : null;
  return Array.from({ length: n }, (_, row) => patch?.title(row) ?? decodeTitlePage(built.pages[Math.floor(row / pageSize)]!).title(row % pageSize));
};
const retitled = (rows: number[], list = titles) => list.map((t, i) => (rows.includes(i) ? `${t} (remastered)` : t));

describe("title blobs", () => {
  it("without a base: fresh pages of pageSize rows and no patch", () => {
    const built = titleBlobs(titles, SIZE);
    expect(built.pages).toHaveLength(7);
    expect(built.pages[6]).toEqual(encodeTitlePage(titles.slice(96)));
    expect(built).toMatchObject({ patch: null, keptPages: 0, patchRows: 0 });
    expect(served(built, 100)).toEqual(titles);
  });

  it("keeps the base's page bytes where nothing changed", () => {
    const base = titleBlobs(titles, SIZE);
    const built = titleBlobs(titles, SIZE, baseOf(base));
    expect(built.pages.every((bytes, p) => bytes === base.pages[p])).toBe(true);
    expect(built).toMatchObject({ patch: null, keptPages: 7 });
  });

  it("a few changed titles: every page kept, the changed rows in the patch", () => {
    const base = titleBlobs(titles, SIZE);
    const next = retitled([0, 17, 18, 99]);
    const built = titleBlobs(next, SIZE, baseOf(base));
    expect(built.pages.every((bytes, p) => bytes === base.pages[p])).toBe(true);
    expect(built).toMatchObject({ keptPages: 7, patchRows: 4 });
    expect(served(built, 100)).toEqual(next);

    // Built on that version: rows changed earlier stay patched, a title changed back leaves the patch.
    const again = retitled([17, 18, 99, 50]);
    const chained = titleBlobs(again, SIZE, baseOf(built));
    expect(chained.pages.every((bytes, p) => bytes === base.pages[p])).toBe(true);
    expect(chained.patchRows).toBe(4);
    expect(served(chained, 100)).toEqual(again);
  });

  it("writes a page anew when more than 1/8 of it changed, or when the patch would grow past its bound", () => {
    const base = titleBlobs(titles, SIZE);
    // Page 1: 3 of 16 rows changed (> 2); page 2: 2 rows; pages 3 and 4: one row each.
    const next = retitled([16, 17, 18, 32, 33, 48, 64]);
    const built = titleBlobs(next, SIZE, baseOf(base));
    expect(built.pages[1]).toEqual(encodeTitlePage(next.slice(16, 32)));
    expect(built).toMatchObject({ keptPages: 6, patchRows: 4 });
    expect(served(built, 100)).toEqual(next);
    // A patch of at most 2 rows keeps the pages with the fewest changes (3 and 4) and writes page 2 anew.
    const bounded = titleBlobs(next, SIZE, baseOf(base), 2);
    expect(bounded.pages[2]).toEqual(encodeTitlePage(next.slice(32, 48)));
    expect([bounded.pages[3], bounded.pages[4]]).toEqual([base.pages[3], base.pages[4]]);
    expect(bounded).toMatchObject({ keptPages: 5, patchRows: 2 });
    expect(served(bounded, 100)).toEqual(next);
  });

  it("writes fresh pages when the base has another page size or its pages hold other rows", () => {
    const base = titleBlobs(titles, SIZE);
    expect(titleBlobs(titles, 32, baseOf(base))).toMatchObject({ keptPages: 0, patch: null });
    // One more item: the last page has another row count; the others are kept.
    const grown = titleBlobs([...titles, "Film 100"], SIZE, baseOf(base));
    expect(grown).toMatchObject({ keptPages: 6, patch: null });
    // A base page that does not decode is not kept.
    const broken = titleBlobs(titles, SIZE, { pageSize: SIZE, page: (p) => (p === 0 ? new Uint8Array([1, 2, 3]) : base.pages[p]!) });
    expect(broken.keptPages).toBe(6);
    expect(served(broken, 100)).toEqual(titles);
  });
});
