import { describe, expect, it } from "vitest";
import { ANN_BLOBS, ANN_FORMAT_VERSION, type AnnManifestSection, annSectionProblem } from "./ann-manifest";

const section: AnnManifestSection = {
  formatVersion: ANN_FORMAT_VERSION,
  metric: "ip",
  dims: 16,
  nlist: 8,
  m: 8,
  nbits: 4,
  rescore: "none",
  count: 100,
  embedding: "ials-16",
  shards: [{ name: "ann-shard-0", firstList: 0, listCount: 8, vectors: 100 }],
};
const blobs = new Set<string>([ANN_BLOBS.centroids, ANN_BLOBS.codebooks, ANN_BLOBS.items, "ann-shard-0"]);
const calibration = { nprobe: 4, shortlist: 300, recallAt100: 0.9912, queries: 200, targetRecall: 0.99 };

describe("ann manifest section", () => {
  it("is valid without a calibration, as built before it existed", () => {
    expect(annSectionProblem(section, blobs)).toBeNull();
  });

  it("accepts a calibration within the index's lists", () => {
    expect(annSectionProblem({ ...section, calibration }, blobs)).toBeNull();
    expect(annSectionProblem({ ...section, calibration: { ...calibration, nprobe: 8, recallAt100: 1 } }, blobs)).toBeNull();
  });

  it("rejects a malformed calibration", () => {
    const problem = (patch: object) => annSectionProblem({ ...section, calibration: { ...calibration, ...patch } }, blobs);
    expect(annSectionProblem({ ...section, calibration: 4 }, blobs)).toMatch(/calibration must be an object/);
    expect(annSectionProblem({ ...section, calibration: null }, blobs)).toMatch(/calibration must be an object/);
    expect(problem({ nprobe: 0 })).toMatch(/nprobe/);
    expect(problem({ nprobe: 9 })).toMatch(/nprobe/);
    expect(problem({ nprobe: 2.5 })).toMatch(/nprobe/);
    expect(problem({ shortlist: -1 })).toMatch(/shortlist/);
    expect(problem({ queries: "200" })).toMatch(/queries/);
    expect(problem({ recallAt100: 1.2 })).toMatch(/recallAt100/);
    expect(problem({ recallAt100: Number.NaN })).toMatch(/recallAt100/);
    expect(problem({ targetRecall: undefined })).toMatch(/targetRecall/);
  });

  it("needs ann-items unless the lists store item-table rows", () => {
    const withoutItems = new Set([...blobs].filter((name) => name !== ANN_BLOBS.items));
    expect(annSectionProblem(section, withoutItems)).toBe('ann needs the "ann-items" blob');
    expect(annSectionProblem({ ...section, idSpace: "item-table" }, withoutItems)).toBeNull();
    expect(annSectionProblem({ ...section, idSpace: "positions" }, blobs)).toMatch(/idSpace/);
  });
});
