import { describe, expect, it } from "vitest";
import { type Dataset } from "../data/movielens";
import { DEFAULT_IALS } from "../train/implicit-als";
import { trainIalsOnTable } from "../train/train-ials";
import { placeColdItems } from "./cold-items";
import { trainingTable } from "./training-table";

describe("placing items without interactions", () => {
  it("gives a cold item its content vector, near the items of its category", () => {
    // Two taste groups: users 0-19 watch "A" items, users 20-39 watch "B" items.
    const items = Array.from({ length: 40 }, (_, i) => ({
      itemId: `i${i}`,
      title: `i${i}`,
      categories: [i < 20 ? "A" : "B"],
      year: 2000,
      tags: [],
      available: true,
    }));
    items.push({ itemId: "coldA", title: "coldA", categories: ["A"], year: 2000, tags: [], available: true });
    const interactions: Dataset["interactions"] = [];
    for (let u = 0; u < 40; u++)
      for (let k = 0; k < 8; k++) {
        const item = (u < 20 ? 0 : 20) + ((u * 3 + k * 7) % 20);
        interactions.push({ userId: `u${u}`, itemId: `i${item}`, rating: 5, timestampMs: 1_600_000_000_000 + k });
      }
    const dataset: Dataset = { name: "toy", items, interactions };
    const table = trainingTable(dataset);
    const embeddings = trainIalsOnTable(table, { ...DEFAULT_IALS, dims: 16, sweeps: 8 });
    const row = table.itemIds.indexOf("coldA");
    const d = embeddings.dims;
    expect(embeddings.itemVectors.subarray(row * d, (row + 1) * d).every((v) => Math.abs(v) < 0.05)).toBe(true);

    const { placed } = placeColdItems(dataset, table, embeddings);
    expect(placed).toBe(1);
    const vec = (id: string) => embeddings.itemVectors.subarray(table.itemIds.indexOf(id) * d, (table.itemIds.indexOf(id) + 1) * d);
    const cosine = (a: Float32Array, b: Float32Array) => {
      let ab = 0,
        aa = 0,
        bb = 0;
      for (let k = 0; k < d; k++) {
        ab += a[k]! * b[k]!;
        aa += a[k]! ** 2;
        bb += b[k]! ** 2;
      }
      return ab / Math.sqrt(aa * bb);
    };
    const mean = (ids: string[]) => {
      const m = new Float32Array(d);
      for (const id of ids) vec(id).forEach((v, k) => (m[k]! += v / ids.length));
      return m;
    };
    const cold = vec("coldA");
    expect(cosine(cold, mean(items.slice(0, 20).map((x) => x.itemId)))).toBeGreaterThan(cosine(cold, mean(items.slice(20, 40).map((x) => x.itemId))) + 0.5);
  });
});
