import { describe, expect, it } from "vitest";
import { loadNodeKernel } from "../../index-builder/src/ann/node-kernel";
import { bruteForceSearch, recallAtK } from "./brute-force";
import { buildIvfPq } from "./build-ivfpq";
import { type IvfPqIndex, type IvfPqParams } from "./ivfpq-index";
import { searchIvfPq } from "./ivfpq-search";
import { reconstructVector } from "./reconstruct";
import { clusteredVectors } from "./testdata/clustered";

const kernel = loadNodeKernel();
const dims = 32;

const clustered = (n: number, seed: number) => clusteredVectors(n, dims, 40, 0.6, seed);

const data = clustered(4000, 1);
const queries = clustered(30, 2);
const build = (params: Partial<IvfPqParams>) =>
  buildIvfPq(kernel, data, { metric: "ip", dims, nlist: 32, m: 8, nbits: 8, rescore: "sq8", ...params }, { seed: 5, kmeansIterations: 8 });

function meanRecall(index: IvfPqIndex, nprobe: number, shortlist: number, k = 20): number {
  let sum = 0;
  for (let qi = 0; qi < 30; qi++) {
    const q = queries.subarray(qi * dims, (qi + 1) * dims);
    const truth = bruteForceSearch(kernel, index.params.metric, data, dims, q, k);
    const found = searchIvfPq(kernel, index, (l) => index.lists[l]!, q, { k, nprobe, shortlist });
    sum += recallAtK(found.ids, truth.ids, k);
  }
  return sum / 30;
}

function reconstructionError(index: IvfPqIndex, useSq8: boolean): number {
  let sum = 0;
  index.lists.forEach((list, l) => {
    const view = useSq8 ? list : { ...list, sq8: null };
    list.ids.forEach((id, offset) => {
      const x = reconstructVector(index, l, view, offset);
      for (let d = 0; d < dims; d++) sum += (x[d]! - data[id * dims + d]!) ** 2;
    });
  });
  return sum / (data.length / dims);
}

describe("IVF-PQ build and search", () => {
  const index = build({});

  it("puts every vector in exactly one list", () => {
    const seen = new Uint8Array(4000);
    for (const list of index.lists) for (const id of list.ids) seen[id]!++;
    expect(seen.every((x) => x === 1)).toBe(true);
  });

  it("gains recall as nprobe rises, and re-scoring recovers what PQ loses", () => {
    const recalls = [1, 2, 4, 8, 32].map((nprobe) => meanRecall(index, nprobe, 200));
    for (let i = 1; i < recalls.length; i++) expect(recalls[i]!).toBeGreaterThanOrEqual(recalls[i - 1]!);
    expect(recalls.at(-1)! - recalls[0]!).toBeGreaterThan(0.2);
    expect(recalls.at(-1)!).toBeGreaterThan(0.95);
    expect(meanRecall(index, 32, 0)).toBeLessThan(recalls.at(-1)!);
  });

  it("scans 4-bit fast-scan codes with the same recall behaviour", () => {
    const pq4 = build({ m: 16, nbits: 4 });
    const recalls = [1, 4, 32].map((nprobe) => meanRecall(pq4, nprobe, 200));
    expect(recalls[1]!).toBeGreaterThanOrEqual(recalls[0]!);
    expect(recalls[2]!).toBeGreaterThanOrEqual(recalls[1]!);
    expect(recalls[2]!).toBeGreaterThan(0.95);
    expect(meanRecall(build({ m: 16, nbits: 4, metric: "l2" }), 32, 200)).toBeGreaterThan(0.95);
  });

  it("searches by L2 as well", () => {
    const l2 = build({ metric: "l2" });
    expect(meanRecall(l2, 32, 200)).toBeGreaterThan(0.95);
    expect(meanRecall(l2, 8, 200)).toBeGreaterThan(meanRecall(l2, 1, 200));
  });

  it("reconstructs with less error given more coarse centroids or more sub-quantizers", () => {
    const none = { rescore: "none" } as const;
    const base = reconstructionError(build({ ...none, nlist: 4, m: 4 }), false);
    expect(reconstructionError(build({ ...none, nlist: 64, m: 4 }), false)).toBeLessThan(base);
    expect(reconstructionError(build({ ...none, nlist: 4, m: 16 }), false)).toBeLessThan(base);
    expect(reconstructionError(index, true)).toBeLessThan(reconstructionError(index, false));
    expect(reconstructionError(build({ ...none, nlist: 4, m: 16 }), false)).toBeLessThan(
      reconstructionError(build({ ...none, nlist: 4, m: 16, nbits: 4 }), false),
    );
  });

  it("is reproducible from its seed", () => {
    const again = build({});
    expect(again.centroids).toEqual(index.centroids);
    expect(again.lists[3]!.codes).toEqual(index.lists[3]!.codes);
  });

  it("skips lists its source cannot supply and says which", () => {
    const q = queries.subarray(0, dims);
    const found = searchIvfPq(kernel, index, (l) => (l % 2 === 0 ? null : index.lists[l]!), q, { k: 10, nprobe: 32, shortlist: 50 });
    expect(found.missingLists.length).toBe(16);
    expect(found.ids.length).toBe(10);
    for (const id of found.ids) expect(index.listOf[id]! % 2).toBe(1);
  });
});

describe("brute-force search", () => {
  it("gives the same top-k scored a block of rows at a time (as for a matrix too large to pin) as over the pinned matrix", () => {
    // Duplicated rows make ties, which both must break alike (ascending id).
    const rows = new Float32Array(2 * data.length);
    rows.set(data);
    rows.set(data, data.length);
    for (let qi = 0; qi < 5; qi++) {
      const q = queries.subarray(qi * dims, (qi + 1) * dims);
      const whole = bruteForceSearch(kernel, "ip", rows, dims, q, 50);
      for (const block of [1, 333, 4000, 100_000]) expect(bruteForceSearch(kernel, "ip", rows, dims, q, 50, block)).toEqual(whole);
    }
  });
});
