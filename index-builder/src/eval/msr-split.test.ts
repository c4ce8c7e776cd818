import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { datasetPresent, ML_100K_DIR } from "./dataset-paths";
import { readMl100k } from "./ml-100k";
import { msrStratifiedSplit, roundHalfEven, TEST } from "./msr-split";

describe("roundHalfEven", () => {
  it("rounds halves to the even neighbour like numpy", () => {
    expect([0.5, 1.5, 2.5, 0.75 * 2, 0.75 * 6, 3.2, 3.7].map(roundHalfEven)).toEqual([0, 2, 2, 2, 4, 3, 4]);
  });
});

const HAS_ML_100K = datasetPresent(ML_100K_DIR, "u.data", "MSR split on ML-100K (msr-split.test.ts)");

describe("msrStratifiedSplit on ML-100K", () => {
  it.skipIf(!HAS_ML_100K)("reproduces the published split: counts and the sha256 of the test-row listing", async () => {
    const table = await readMl100k(ML_100K_DIR);
    const mask = msrStratifiedSplit(table, 0.75, 42);
    const testRows: number[] = [];
    mask.forEach((m, r) => {
      if (m === TEST) testRows.push(r);
    });
    expect(testRows.length).toBe(24_934);
    expect(mask.length - testRows.length).toBe(75_066);
    expect(new Set(testRows.map((r) => table.users[r])).size).toBe(943);
    expect(testRows.slice(0, 5)).toEqual([1, 2, 7, 11, 12]);
    const listing = testRows.map((r) => `${r}\n`).join("");
    expect(createHash("sha256").update(listing).digest("hex")).toBe("2b8518de12b9096ba3cf3b0a0d1dd0a97c3b82023bf98ccab00d545a046c01bb");
  });
});
