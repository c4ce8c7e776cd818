import { describe, expect, it } from "vitest";
import { DEFAULT_PAGES, MAX_PAGES_PER_KIND, scaledPages } from "./funnel-blobs";

describe("page sizes", () => {
  it("stay as configured up to a million items and grow past it so no kind has more than MAX_PAGES_PER_KIND pages", () => {
    expect(scaledPages(DEFAULT_PAGES, 1_000_000)).toEqual(DEFAULT_PAGES);
    for (const n of [2_000_000, 10_000_000, 50_000_000]) {
      const pages = scaledPages(DEFAULT_PAGES, n);
      for (const kind of ["vectorPageSize", "covisitPageSize", "titlePageSize", "itemPageSize"] as const) {
        expect(Math.ceil(n / pages[kind])).toBeLessThanOrEqual(MAX_PAGES_PER_KIND);
        expect(pages[kind] % DEFAULT_PAGES[kind]).toBe(0);
      }
    }
  });
});
