import { describe, expect, it } from "vitest";
import { datasetTransform } from "../build/training-table";
import { rowCount, selectRows } from "../train/interaction-table";
import { datasetPresent, ML_100K_DIR } from "./dataset-paths";
import { evaluateRecommender } from "./evaluate";
import { readMl100k } from "./ml-100k";
import { SarRecommender } from "./sar";
import { msrStratifiedSplit, TEST } from "./msr-split";
import { loadSplit, MSR_RATIO, MSR_SEED } from "./protocols";
import { randomCarveReason } from "./validation-split";

const HAS_ML_100K = datasetPresent(ML_100K_DIR, "u.data", "the MSR split as the eval tunes it (protocols.test.ts)");

/** Each row as "user item" in a table's own ids, sorted: two tables hold the same pairs when these are equal. */
const pairs = (t: { userIds: readonly string[]; itemIds: readonly string[]; users: Uint32Array; items: Uint32Array }) =>
  Array.from(t.users, (u, r) => `${t.userIds[u]} ${t.itemIds[t.items[r]!]}`).sort();

describe("loadSplit: MovieLens protocols handed to the build's tuning", () => {
  it.skipIf(!HAS_ML_100K)("gives the MSR split's very rows, in one id space, with the training rows as a ratings log to tune on", async () => {
    const table = await readMl100k(ML_100K_DIR);
    const mask = msrStratifiedSplit(table, MSR_RATIO, MSR_SEED);
    const split = await loadSplit(ML_100K_DIR, "msr", () => {});
    expect(split.protocol).toBe("msr");
    expect([rowCount(split.train), rowCount(split.test)]).toEqual([75_066, 24_934]);
    expect(pairs(split.train)).toEqual(pairs(selectRows(table, mask, 0)));
    expect(pairs(split.test)).toEqual(pairs(selectRows(table, mask, TEST)));
    // Train and test share ids, so a model fitted on one ranks for the other.
    expect(split.test.userIds).toBe(split.train.userIds);
    expect(split.test.itemIds).toBe(split.train.itemIds);
    // The tuning data are the training rows alone, under any weight transform, in the same id space.
    const { dataset, tuning } = split.imported;
    expect(dataset.interactions).toHaveLength(75_066);
    expect(dataset.weightKind).toBe("ratings");
    const stars = tuning.tableOf({ kind: "stars", ratingMax: 5 });
    expect(stars.itemIds).toEqual(split.test.itemIds);
    expect(stars.userIds).toEqual(split.test.userIds);
    expect(pairs(stars)).toEqual(pairs(split.train));
    expect(datasetTransform(dataset)).toEqual({ kind: "rating", ratingMax: 5 });
    // Its test rows are a random sample of each user's, not their latest: validation carves at random too.
    expect(split.carve.method).toBe("random");
    expect(randomCarveReason(split.carve)).toBeDefined();
    expect(split.items.length).toBe(1682);
    // SAR's raw ratings, in the same id space.
    const raw = split.rawTrain!;
    expect(raw.userIds).toBe(split.train.userIds);
    expect(pairs(raw)).toEqual(pairs(split.train));
    expect(Array.from(raw.values).sort()).toEqual(Array.from(selectRows(table, mask, 0).values).sort());
    // ... on which SAR gives BASELINES.md §A's published row against this split's test rows.
    const sar = await evaluateRecommender(new SarRecommender(), raw, split.test);
    expect(Number(sar.metrics.ndcgAtK.toFixed(6))).toBe(0.393819);
  });
});
