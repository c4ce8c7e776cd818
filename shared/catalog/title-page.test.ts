import { describe, expect, it } from "vitest";
import { decodeTitlePage, encodeTitlePage } from "./title-page";

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
});
