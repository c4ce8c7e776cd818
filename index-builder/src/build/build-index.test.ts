import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseManifest } from "../../../shared/index-format/manifest";
import { decodePopularBlob } from "../../../shared/index-format/popular";
import { type Dataset } from "../data/movielens";
import { decodeTitlePatch, TITLE_PATCH_BLOB } from "../../../shared/catalog/title-page";
import { buildIndex } from "./build-index";

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const dataset: Dataset = {
  name: "tiny",
  items: [
    { itemId: "1", title: "One", categories: ["Drama"], year: 2000, tags: [], available: true },
    { itemId: "2", title: "Two", categories: ["Comedy", "Drama"], year: 2001, tags: ["fun"], available: true },
  ],
  interactions: [
    { userId: "a", itemId: "2", rating: 4, timestampMs: 1_700_000_000_000 },
    { userId: "b", itemId: "2", rating: 5, timestampMs: 1_700_000_000_000 },
    { userId: "b", itemId: "1", rating: 3, timestampMs: 1_600_000_000_000 },
  ],
};

describe("buildIndex", () => {
  it("writes blobs whose checksums the manifest records, the catalog and LATEST", async () => {
    const out = await mkdtemp(join(tmpdir(), "build-test-"));
    dirs.push(out);
    const erasureList = { readAt: "2026-03-04T05:00:00.000Z", erasedUsers: 4 };
    const result = await buildIndex(dataset, out, { now: new Date("2026-03-04T05:06:07.890Z"), erasureList });
    expect(result.version).toMatch(/^20260304T050607Z-[0-9a-f]{10}$/);
    const manifest = parseManifest(JSON.parse(await readFile(join(result.dir, "manifest.json"), "utf8")));
    // The erasure list the data was checked against travels with the version, for the erasure receipt.
    expect(manifest.erasureList).toEqual(erasureList);
    expect(() => parseManifest({ ...manifest, erasureList: { readAt: "yesterday", erasedUsers: 4 } })).toThrow(/erasureList must hold/);
    expect(() => parseManifest({ ...manifest, erasureList: { readAt: erasureList.readAt, erasedUsers: -1 } })).toThrow(/erasureList must hold/);
    expect(manifest.counts).toEqual({ items: 2, users: 2, interactions: 3, categories: 2 });
    for (const [name, ref] of Object.entries(manifest.blobs)) {
      const bytes = await readFile(join(result.dir, "blobs", name));
      expect(bytes.byteLength).toBe(ref.bytes);
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(ref.sha256);
    }
    const popular = decodePopularBlob(await readFile(join(result.dir, "blobs", "popular")));
    expect(popular.items.map((x) => x.itemId)).toEqual(["2", "1"]);
    expect(manifest.fallbackItemIds).toEqual(["2", "1"]);
    expect(JSON.parse(await readFile(join(result.dir, "catalog.json"), "utf8"))).toEqual(dataset.items);
    expect((await readFile(join(out, "LATEST"), "utf8")).trim()).toBe(result.version);
  });

  it("gives equal data an equal content suffix", async () => {
    const out = await mkdtemp(join(tmpdir(), "build-test-"));
    dirs.push(out);
    const a = await buildIndex(dataset, out, { now: new Date("2026-01-01T00:00:00Z") });
    const b = await buildIndex(dataset, out, { now: new Date("2026-01-02T00:00:00Z") });
    expect(a.version.split("-")[1]).toBe(b.version.split("-")[1]);
    const c = await buildIndex({ ...dataset, interactions: dataset.interactions.slice(1) }, out, { now: new Date("2026-01-02T00:00:00Z") });
    expect(c.version.split("-")[1]).not.toBe(a.version.split("-")[1]);
  });

  it("built on an earlier version, keeps its title pages and patches the titles that changed", async () => {
    const out = await mkdtemp(join(tmpdir(), "build-test-"));
    dirs.push(out);
    const a = await buildIndex(dataset, out, { now: new Date("2026-01-01T00:00:00Z"), ann: false, ranker: false });
    const renamed = { ...dataset, items: dataset.items.map((item) => (item.itemId === "1" ? { ...item, title: "One (restored)" } : item)) };
    const b = await buildIndex(renamed, out, { now: new Date("2026-01-02T00:00:00Z"), ann: false, ranker: false, titleBase: a.dir });
    const manifestOf = async (dir: string) => parseManifest(JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")));
    const [ma, mb] = [await manifestOf(a.dir), await manifestOf(b.dir)];
    expect(mb.blobs["titles-0"]).toEqual(ma.blobs["titles-0"]);
    expect(ma.blobs[TITLE_PATCH_BLOB]).toBeUndefined();
    const patch = decodeTitlePatch(await readFile(join(b.dir, "blobs", TITLE_PATCH_BLOB)));
    // Row 1: item "1" is the less popular one.
    expect(patch).toMatchObject({ count: 1, lastRow: 1 });
    expect(patch.title(1)).toBe("One (restored)");
    // Without the base, the same data writes the page anew and no patch.
    const c = await buildIndex(renamed, out, { now: new Date("2026-01-03T00:00:00Z"), ann: false, ranker: false });
    const mc = await manifestOf(c.dir);
    expect(mc.blobs["titles-0"]!.sha256).not.toBe(ma.blobs["titles-0"]!.sha256);
    expect(mc.blobs[TITLE_PATCH_BLOB]).toBeUndefined();
  });
});
