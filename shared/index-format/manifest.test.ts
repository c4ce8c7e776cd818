import { describe, expect, it } from "vitest";
import { MANIFEST_FORMAT_VERSION, parseManifest } from "./manifest";

const manifest = {
  formatVersion: MANIFEST_FORMAT_VERSION,
  version: "v1",
  builtAt: "2026-12-06T04:00:00.000Z",
  source: { dataset: "t", newestInteractionAt: "2026-12-01T00:00:00.000Z", itemsAsOf: "2026-12-05T10:00:00.000Z" },
  counts: { items: 0, users: 0, interactions: 0, categories: 0 },
  blobs: { popular: { bytes: 0, sha256: "0".repeat(64), contentType: "application/json" } },
  fallbackItemIds: [],
  erasureList: { readAt: "2026-12-06T03:59:00.000Z", erasedUsers: 0 },
};

const withTime = (field: "builtAt" | "itemsAsOf" | "readAt", text: unknown) =>
  field === "builtAt"
    ? { ...manifest, builtAt: text }
    : field === "itemsAsOf"
      ? { ...manifest, source: { ...manifest.source, itemsAsOf: text } }
      : { ...manifest, erasureList: { ...manifest.erasureList, readAt: text } };

const NAMES = { builtAt: "builtAt must be a date-time", itemsAsOf: "source.itemsAsOf must be a date-time", readAt: "erasureList must hold readAt" };

describe("parseManifest's date-times (builtAt, source.itemsAsOf, erasureList.readAt)", () => {
  it("takes ISO-8601 with a zone of a real moment, as the builder writes them", () => {
    expect(parseManifest(manifest)).toEqual(manifest);
    for (const field of ["builtAt", "itemsAsOf", "readAt"] as const)
      for (const text of ["2026-12-06T04:00:00Z", "2026-12-06T05:00+01:00", "2024-02-29T23:59:59.999999Z"])
        expect(() => parseManifest(withTime(field, text)), `${field} ${text}`).not.toThrow();
  });

  it("refuses an impossible date or time instead of rolling it over, saying which part does not exist", () => {
    for (const field of ["builtAt", "itemsAsOf", "readAt"] as const) {
      expect(() => parseManifest(withTime(field, "2026-11-31T00:00:00Z"))).toThrow(NAMES[field]);
      expect(() => parseManifest(withTime(field, "2026-11-31T00:00:00Z"))).toThrow(
        '"2026-11-31T00:00:00Z" names no real moment: day 31 does not exist in 2026-11, which has 30 days',
      );
      expect(() => parseManifest(withTime(field, "2026-12-05T24:00:00Z"))).toThrow(/names no real moment: hour 24 does not exist/);
      expect(() => parseManifest(withTime(field, "2025-02-29T00:00:00Z"))).toThrow(/names no real moment: day 29 does not exist in 2025-02/);
    }
  });

  it("refuses loose and zone-less texts (Date.parse would read the latter in the reader's zone)", () => {
    for (const field of ["builtAt", "itemsAsOf", "readAt"] as const)
      for (const text of ["Nov 31 2026", "2026/12/06", "2026-12-06T04:00:00", "2026-12-06", "yesterday", 1_765_000_000_000, null])
        expect(() => parseManifest(withTime(field, text)), `${field} ${String(text)}`).toThrow(
          new RegExp(`^manifest ${NAMES[field].replace(".", "\\.")}.*ISO-8601 with a zone, such as 2026-12-06T04:00:00Z`),
        );
    expect(() => parseManifest(withTime("builtAt", "Nov 31 2026"))).toThrow(
      'manifest builtAt must be a date-time: ISO-8601 with a zone, such as 2026-12-06T04:00:00Z, not "Nov 31 2026"',
    );
  });
});
