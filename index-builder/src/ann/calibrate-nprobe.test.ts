import { describe, expect, it } from "vitest";
import { bruteForceSearch, recallAtK } from "../../../shared/ann/brute-force";
import { buildIvfPq } from "../../../shared/ann/build-ivfpq";
import { searchIvfPq } from "../../../shared/ann/ivfpq-search";
import { buildAnnBlobs } from "./build-ann-blobs";
import { calibrateNprobe, maxNprobe, CALIBRATION_K, nprobeSteps, sampleQueries } from "./calibrate-nprobe";
import { loadNodeKernel } from "./node-kernel";
import { clusteredVectors } from "../../../shared/ann/testdata/clustered";
import { annShortlist } from "../../../shared/ranking/ann-request";

const kernel = loadNodeKernel();
const dims = 16;

const clustered = (n: number, seed: number) => clusteredVectors(n, dims, 24, 0.7, seed);

const data = clustered(3000, 1);
const queries = clustered(40, 2);
const index = buildIvfPq(kernel, data, { metric: "ip", dims, nlist: 32, m: 8, nbits: 4, rescore: "sq8" }, { seed: 3, kmeansIterations: 8 });

/** Mean recall@100 of one nprobe, computed directly against brute force. */
function recallAt(nprobe: number, shortlist: number): number {
  let sum = 0;
  for (let i = 0; i < 40; i++) {
    const q = queries.subarray(i * dims, (i + 1) * dims);
    const truth = bruteForceSearch(kernel, "ip", data, dims, q, CALIBRATION_K).ids;
    const found = searchIvfPq(kernel, index, (l) => index.lists[l]!, q, { k: CALIBRATION_K, nprobe, shortlist });
    sum += recallAtK(found.ids, truth, CALIBRATION_K);
  }
  return sum / 40;
}

describe("nprobe calibration", () => {
  it("tries increasing nprobe values ending with nlist", () => {
    expect(nprobeSteps(32)).toEqual([1, 2, 3, 4, 6, 8, 12, 16, 24, 32]);
    expect(nprobeSteps(1)).toEqual([1]);
    expect(nprobeSteps(5)).toEqual([1, 2, 3, 4, 5]);
  });

  it("picks the smallest nprobe whose recall@100 against brute force reaches the target", () => {
    for (const targetRecall of [0.8, 0.9, 0.97]) {
      const { calibration, curve } = calibrateNprobe(kernel, index, data, queries, { targetRecall, shortlists: [300], tolerance: 0.005 });
      const chosen = calibration.nprobe;
      expect(recallAt(chosen, 300)).toBeGreaterThanOrEqual(targetRecall);
      for (const step of nprobeSteps(32).filter((p) => p < chosen)) expect(recallAt(step, 300)).toBeLessThan(targetRecall);
      expect(curve.at(-1)!.nprobe).toBe(chosen);
      expect(calibration).toMatchObject({ shortlist: 300, queries: 40, targetRecall });
      expect(calibration.recallAt100).toBeCloseTo(recallAt(chosen, 300), 3);
    }
  });

  it("chooses more probes for a higher target, and a longer shortlist when the short one cannot reach it", () => {
    const options = { shortlists: [400], tolerance: 0.005 };
    const low = calibrateNprobe(kernel, index, data, queries, { ...options, targetRecall: 0.8 }).calibration;
    const high = calibrateNprobe(kernel, index, data, queries, { ...options, targetRecall: 0.95 }).calibration;
    expect(high.nprobe).toBeGreaterThan(low.nprobe);
    expect(calibrateNprobe(kernel, index, data, queries, { targetRecall: 0.95, shortlists: [100], tolerance: 0.005 }).reached).toBe(false);
    const longer = calibrateNprobe(kernel, index, data, queries, { targetRecall: 0.95, shortlists: [100, 400, 1600], tolerance: 0.005 });
    expect(longer.reached).toBe(true);
    const { nprobe, shortlist } = longer.calibration;
    expect(recallAt(nprobe, shortlist)).toBeGreaterThanOrEqual(0.95);
    for (const shorter of [100, 400].filter((s) => s < shortlist)) expect(recallAt(nprobe, shorter)).toBeLessThan(0.95);
    for (const fewer of nprobeSteps(32).filter((p) => p < nprobe)) expect(recallAt(fewer, 1600)).toBeLessThan(0.95);
  });

  it("settles for the cheapest knobs near the best recall when the target is out of reach", () => {
    const { calibration, curve, reached } = calibrateNprobe(kernel, index, data, queries, { targetRecall: 1.01, shortlists: [100], tolerance: 0.01 });
    expect(reached).toBe(false);
    expect(curve.at(-1)!.nprobe).toBe(32);
    const best = Math.max(...curve.map((step) => step.recallAt100));
    expect(recallAt(calibration.nprobe, 100)).toBeGreaterThanOrEqual(best - 0.01);
    for (const step of nprobeSteps(32).filter((p) => p < calibration.nprobe)) expect(recallAt(step, 100)).toBeLessThan(best - 0.01);
  });

  it("never probes past the scan cap, and settles near the best recall under it", () => {
    // 3000 vectors in 32 lists: a cap of 600 scanned allows 6 lists.
    expect(maxNprobe(32, 3000, 600)).toBe(6);
    expect(maxNprobe(32, 3000, 10)).toBe(1);
    expect(maxNprobe(32, 3000, 1e9)).toBe(32);
    const { calibration, curve, reached } = calibrateNprobe(kernel, index, data, queries, {
      targetRecall: 0.99,
      shortlists: [300],
      tolerance: 0.005,
      maxScanned: 600,
    });
    expect(reached).toBe(false);
    expect(Math.max(...curve.map((step) => step.nprobe))).toBe(6);
    expect(calibration.nprobe).toBeLessThanOrEqual(6);
    const best = Math.max(...curve.map((step) => step.recallAt100));
    expect(recallAt(calibration.nprobe, 300)).toBeGreaterThanOrEqual(best - 0.005);
  });

  it("samples non-zero query rows, seeded", () => {
    const rows = new Float32Array(10 * dims);
    for (const r of [1, 4, 7]) rows.fill(r, r * dims, (r + 1) * dims);
    const sample = sampleQueries(rows, dims, 5, 9);
    expect(sample.length).toBe(3 * dims);
    expect(new Set(Array.from({ length: 3 }, (_, i) => sample[i * dims]))).toEqual(new Set([1, 4, 7]));
    expect(sampleQueries(rows, dims, 2, 9)).toEqual(sampleQueries(rows, dims, 2, 9));
  });

  it("is recorded in the ann section, from user vectors or else item vectors", () => {
    const embeddings = {
      dims,
      itemIds: Array.from({ length: 3000 }, (_, i) => `i${i}`),
      itemVectors: data,
      userIds: [],
      userVectors: new Float32Array(0),
      gram: new Float32Array(dims * dims),
      params: { alpha: 1, regularization: 0.01, regExponent: 0 },
    };
    const lines: string[] = [];
    const params = { nlist: 16, m: 8 };
    const fromItems = buildAnnBlobs(embeddings, { params, calibration: { targetRecall: 0.95, queries: 30 }, log: (l) => lines.push(l) });
    expect(fromItems.section.calibration).toMatchObject({ queries: 30, targetRecall: 0.95 });
    expect(fromItems.section.calibration!.nprobe).toBeLessThanOrEqual(16);
    expect(lines.some((l) => l.includes("recall@100 on 30 item vectors"))).toBe(true);
    const withUsers = buildAnnBlobs({ ...embeddings, userIds: ["u0", "u1"], userVectors: queries.slice(0, 2 * dims) }, { params });
    expect(withUsers.section.calibration).toMatchObject({ queries: 2, targetRecall: 0.99 });
    expect(buildAnnBlobs(embeddings, { params, calibration: false }).section.calibration).toBeUndefined();
  });

  it("keeps a calibrated shortlist's margin for deeper requests (annShortlist)", () => {
    expect(annShortlist(300, CALIBRATION_K)).toBe(300);
    expect(annShortlist(300, 40)).toBe(300);
    expect(annShortlist(300, 150)).toBe(350);
    expect(annShortlist(300, 650)).toBe(850);
    expect(annShortlist(100, 650)).toBe(650);
    // A user with 500 seen items asks for 650: re-scoring only 650 PQ candidates lets the PQ order's errors
    // decide what comes back; with the calibrated margin the search finds about as much of the true top k as at 100.
    const recallDeep = (k: number, shortlist: number) => {
      let sum = 0;
      for (let i = 0; i < 40; i++) {
        const q = queries.subarray(i * dims, (i + 1) * dims);
        const truth = bruteForceSearch(kernel, "ip", data, dims, q, k).ids;
        sum += recallAtK(searchIvfPq(kernel, index, (l) => index.lists[l]!, q, { k, nprobe: 32, shortlist }).ids, truth, k);
      }
      return sum / 40;
    };
    const atCalibration = recallAt(32, 300);
    const flat = recallDeep(650, 650);
    const served = recallDeep(650, annShortlist(300, 650));
    expect(served).toBeGreaterThan(flat + 0.05); // 0.972 against 0.890 (0.989 at k = 100) when written
    expect(served).toBeGreaterThan(atCalibration - 0.02);
  });
});
