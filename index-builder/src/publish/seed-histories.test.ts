import { describe, expect, it } from "vitest";
import {
  MAX_HISTORY_BATCH_ITEMS,
  MAX_HISTORY_ITEMS,
  MAX_HISTORY_USERS,
  MAX_HISTORY_WEIGHT,
  parseHistoryBatch,
  type UserHistory,
} from "../../../shared/users/history";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { trainingTable } from "../build/training-table";
import { type Dataset, type Interaction } from "../data/movielens";
import { transformWeight } from "../data/weights";
import { historyBatches, historyDigest, userHistories } from "./seed-histories";

const item = (itemId: string): CatalogItem => ({ itemId, title: itemId, categories: [], year: null, tags: [], available: true });
const dataset = (interactions: Interaction[], weightKind?: Dataset["weightKind"]): Dataset => ({
  name: "t",
  items: [...new Set(interactions.map((x) => x.itemId))].map(item),
  interactions,
  ...(weightKind ? { weightKind } : {}),
});

describe("userHistories: each user's pairs as the version trained them", () => {
  it("weighs ratings by the version's transform, sums a pair rated twice, orders by time and leaves live events out", async () => {
    const day = 86_400_000;
    const rows: Interaction[] = [
      { userId: "u", itemId: "b", rating: 5, timestampMs: 3 * day },
      { userId: "u", itemId: "a", rating: 2, timestampMs: 1 * day },
      { userId: "u", itemId: "c", rating: 4, timestampMs: 2 * day },
      { userId: "u", itemId: "a", rating: 4, timestampMs: 4 * day },
      { userId: "u", itemId: "d", rating: 5, timestampMs: 5 * day, type: "rating" },
      { userId: "v", itemId: "c", rating: 3, timestampMs: 1 * day },
    ];
    const transform = { kind: "rating", ratingMax: 5 } as const;
    const { users } = await userHistories(dataset(rows), transform);
    const u = users.find((x) => x.userId === "u")!;
    // a: 2 stars (-1) then 4 stars (+2), summed at its later time; d is a live event, in the session already.
    expect(u.items).toEqual([
      { itemId: "c", weight: 2, timestampMs: 2 * day },
      { itemId: "b", weight: 3, timestampMs: 3 * day },
      { itemId: "a", weight: 1, timestampMs: 4 * day },
    ]);
    // The weights are trainingTable's, row for row.
    const table = trainingTable(dataset(rows.filter((x) => !x.type)), transform);
    expect([...table.values].reduce((a, b) => a + b, 0)).toBeCloseTo(
      users.flatMap((x) => x.items).reduce((a, x) => a + x.weight, 0),
      6,
    );
    // Stars as confidence: every rating a like, a's two summed.
    const stars = await userHistories(dataset(rows), { kind: "stars", ratingMax: 5 });
    const weights = stars.users.find((x) => x.userId === "u")!.items.map((x) => x.weight);
    [4 / 3, 5 / 3, 2 / 3 + 4 / 3].forEach((w, i) => expect(weights[i]).toBeCloseTo(w, 6));
  });

  it("sums a play log's counts per pair before the log transform, and leaves an undated log undated, in file order", async () => {
    const rows: Interaction[] = [
      { userId: "u", itemId: "x", rating: null, count: 10, timestampMs: 0 },
      { userId: "u", itemId: "y", rating: null, count: 1, timestampMs: 0 },
      { userId: "u", itemId: "x", rating: null, count: 30, timestampMs: 0 },
      { userId: "u", itemId: "z", rating: null, count: 4, timestampMs: 0 },
    ];
    const transform = { kind: "log", epsilon: 4 } as const;
    const { users } = await userHistories(dataset(rows, "plays"), transform);
    expect(users).toEqual([
      {
        userId: "u",
        items: [
          { itemId: "x", weight: Math.fround(transformWeight(40, transform)) },
          { itemId: "y", weight: Math.fround(transformWeight(1, transform)) },
          { itemId: "z", weight: Math.fround(transformWeight(4, transform)) },
        ],
      },
    ]);
  });

  it("keeps a long history's newest items, within the route's cap", async () => {
    const rows: Interaction[] = Array.from({ length: MAX_HISTORY_ITEMS + 100 }, (_, i) => ({
      userId: "u",
      itemId: `i${i}`,
      rating: 4,
      timestampMs: 1e12 + i * 1000,
    }));
    const { users } = await userHistories(dataset(rows), { kind: "binary" });
    expect(users[0]!.items).toHaveLength(MAX_HISTORY_ITEMS);
    expect(users[0]!.items[0]!.itemId).toBe("i100");
    expect(users[0]!.items.at(-1)!.itemId).toBe(`i${MAX_HISTORY_ITEMS + 99}`);
  });

  it("holds a pair rated over and over within the route's weight bound", async () => {
    const rows: Interaction[] = Array.from({ length: 40 }, (_, i) => ({ userId: "u", itemId: "a", rating: 5, timestampMs: 1e12 + i }));
    const { users } = await userHistories(dataset(rows), { kind: "rating", ratingMax: 5 });
    expect(users[0]!.items).toEqual([{ itemId: "a", weight: MAX_HISTORY_WEIGHT, timestampMs: 1e12 + 39 }]);
  });

  it("leaves out the rows an erased user had before their erasure, before a play pair's counts are summed", async () => {
    const plays: Interaction[] = [
      { userId: "gone", itemId: "a", rating: null, count: 50, timestampMs: 1000 },
      { userId: "gone", itemId: "a", rating: null, count: 2, timestampMs: 5000 },
    ];
    const log = { kind: "log", epsilon: 1 } as const;
    const summed = await userHistories(dataset(plays, "plays"), log, async (userId, ms) => (userId === "gone" && ms <= 2000 ? "tag" : null));
    // Only the 2 plays after the erasure count: the 50 before it are gone, not folded into the pair's later row.
    expect(summed.users[0]!.items).toEqual([{ itemId: "a", weight: Math.fround(Math.log1p(2)), timestampMs: 5000 }]);
    expect(summed.erasedRows).toBe(1);
  });

  it("leaves out the rows an erased user had before their erasure, and keeps what they did after", async () => {
    const rows: Interaction[] = [
      { userId: "gone", itemId: "a", rating: 4, timestampMs: 1000 },
      { userId: "gone", itemId: "b", rating: 4, timestampMs: 5000 },
      { userId: "kept", itemId: "a", rating: 4, timestampMs: 1000 },
    ];
    const { users, erasedRows, erasedUsers } = await userHistories(dataset(rows), { kind: "binary" }, async (userId, ms) =>
      userId === "gone" && ms <= 2000 ? "tag" : null,
    );
    expect(erasedRows).toBe(1);
    expect(erasedUsers).toEqual(["gone"]);
    expect(users.map((u) => [u.userId, u.items.map((x) => x.itemId)])).toEqual([
      ["gone", ["b"]],
      ["kept", ["a"]],
    ]);
  });
});

describe("historyBatches", () => {
  const user = (id: number, n: number): UserHistory => ({ userId: `u${id}`, items: Array.from({ length: n }, (_, i) => ({ itemId: `i${i}`, weight: 1 })) });

  it("packs whole users within the route's caps, in order, and every batch passes the route's parser", () => {
    const users = [...Array.from({ length: 250 }, (_, i) => user(i, 3)), ...Array.from({ length: 6 }, (_, i) => user(1000 + i, MAX_HISTORY_ITEMS))];
    const batches = historyBatches(users);
    expect(batches.flat()).toEqual(users);
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(MAX_HISTORY_USERS);
      expect(batch.reduce((n, u) => n + u.items.length, 0)).toBeLessThanOrEqual(MAX_HISTORY_BATCH_ITEMS);
      expect(parseHistoryBatch({ users: batch })).toEqual(batch);
    }
    // 200 small users; 50 small + two of 2000 (4150 items); then two per batch.
    expect(batches.map((b) => b.length)).toEqual([200, 52, 2, 2]);
  });
});

describe("historyDigest: equal only for the same history as sent", () => {
  const items: UserHistory["items"] = [
    { itemId: "a", weight: 1.5, timestampMs: 1000 },
    { itemId: "b", weight: -1, timestampMs: 2000 },
  ];

  it("is the same for an equal history and differs for any change the session would see", () => {
    const digest = historyDigest(items);
    expect(digest).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(historyDigest(structuredClone(items))).toBe(digest);
    const changes: UserHistory["items"][] = [
      [items[1]!, items[0]!],
      [{ ...items[0]!, weight: 1.5000001 }, items[1]!],
      [{ ...items[0]!, timestampMs: 1001 }, items[1]!],
      [{ itemId: "a", weight: 1.5 }, items[1]!],
      [{ ...items[0]!, itemId: "c" }, items[1]!],
      [items[0]!],
      [],
    ];
    const digests = new Set([digest, ...changes.map(historyDigest)]);
    expect(digests.size).toBe(changes.length + 1);
  });
});
