import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WriteBatcher } from "./write-batcher";

function recorder(fail: (batch: number[]) => boolean = () => false) {
  const written: number[][] = [];
  const lost: number[][] = [];
  const batcher = new WriteBatcher<number>(
    async (records) => {
      if (fail(records)) throw new Error("redis down");
      written.push(records);
    },
    (_err, records) => lost.push(records),
    50,
    4,
  );
  return { batcher, written, lost };
}

describe("WriteBatcher", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("writes records added within one window together, once the window ends", async () => {
    const { batcher, written } = recorder();
    const first = batcher.add(1);
    expect(first).toBeInstanceOf(Promise);
    expect(batcher.add(2)).toBeNull();
    await vi.advanceTimersByTimeAsync(49);
    expect(batcher.add(3)).toBeNull();
    expect(written).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await first;
    expect(written).toEqual([[1, 2, 3]]);
    expect(batcher.waiting).toBe(0);
  });

  it("writes a full batch at once, without waiting for the window", async () => {
    const { batcher, written } = recorder();
    const first = batcher.add(1);
    for (const r of [2, 3, 4]) batcher.add(r);
    await first;
    expect(written).toEqual([[1, 2, 3, 4]]);
    // The next record starts the next batch, with a promise of its own.
    const next = batcher.add(5);
    expect(next).toBeInstanceOf(Promise);
    await vi.advanceTimersByTimeAsync(50);
    await next;
    expect(written).toEqual([[1, 2, 3, 4], [5]]);
  });

  it("reports a failed write with the records it lost, and writes the next batch", async () => {
    const { batcher, written, lost } = recorder((batch) => batch.includes(1));
    const first = batcher.add(1);
    batcher.add(2);
    await vi.advanceTimersByTimeAsync(50);
    await expect(first).resolves.toBeUndefined();
    expect(lost).toEqual([[1, 2]]);
    const second = batcher.add(3);
    await vi.advanceTimersByTimeAsync(50);
    await second;
    expect(written).toEqual([[3]]);
  });

  it("keeps the batch's promise pending until an asynchronous onError has handed the lost records on", async () => {
    const handed: number[][] = [];
    const batcher = new WriteBatcher<number>(
      () => Promise.reject(new Error("redis down")),
      async (_err, records) => {
        await new Promise((r) => setTimeout(r, 30));
        handed.push(records);
      },
      10,
      4,
    );
    let settled = false;
    const first = batcher.add(1)!.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(10);
    expect([settled, handed]).toEqual([false, []]);
    await vi.advanceTimersByTimeAsync(30);
    await first;
    expect([settled, handed]).toEqual([true, [[1]]]);
  });

  it("writes every record exactly once, in order, whatever the interleaving of adds and time", async () => {
    for (let seed = 1; seed <= 50; seed++) {
      let s = seed;
      const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
      const { batcher, written } = recorder();
      const kept: Promise<void>[] = [];
      const all: number[] = [];
      for (let r = 0; r < 200; r++) {
        all.push(r);
        const p = batcher.add(r);
        if (p) kept.push(p);
        if (rand() < 0.3) await vi.advanceTimersByTimeAsync(Math.floor(rand() * 80));
      }
      await vi.advanceTimersByTimeAsync(50);
      await Promise.all(kept);
      expect(written.flat()).toEqual(all);
      // One kept promise per write: each batch is kept alive by the request that started it.
      expect(written.length).toBe(kept.length);
      for (const batch of written) expect(batch.length).toBeLessThanOrEqual(4);
    }
  });

  it("refuses a window or batch size that cannot work", () => {
    expect(
      () =>
        new WriteBatcher<number>(
          async () => {},
          () => {},
          -1,
          4,
        ),
    ).toThrow(RangeError);
    expect(
      () =>
        new WriteBatcher<number>(
          async () => {},
          () => {},
          10,
          0,
        ),
    ).toThrow(RangeError);
  });
});
