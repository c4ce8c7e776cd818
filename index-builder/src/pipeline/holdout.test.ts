import { describe, expect, it } from "vitest";
import { type Dataset } from "../data/movielens";
import { sawHoldout } from "./evaluate-version";
import { gateHoldout, timeCutProblem, timeHoldout } from "./holdout";

const DAY = 86_400_000;

function dataset(): Dataset {
  const interactions = [];
  for (let u = 0; u < 30; u++) {
    for (let d = 0; d < 10; d++)
      interactions.push({ userId: `u${u}`, itemId: `i${(u + d) % 17}`, rating: d === 9 && u % 2 === 0 ? 1 : 4, timestampMs: (u * 10 + d) * DAY });
  }
  return { name: "t", items: [], interactions };
}

describe("the gate's time-based holdout", () => {
  it("holds out the newest events, trains on the rest, and scores only positive held-out items", () => {
    const h = timeHoldout(dataset(), { kind: "global-time-cut", heldOutFraction: 0.1, maxUsers: 100, k: 10 });
    expect(h.train.interactions.every((x) => x.timestampMs < h.cutMs)).toBe(true);
    expect(h.train.interactions.length).toBe(270);
    for (const [user, items] of h.relevant) {
      expect(items.size).toBeGreaterThan(0);
      for (const x of h.history.get(user)!) expect(x.timestampMs).toBeLessThan(h.cutMs);
    }
    // Even users' last event is a 1-star rating: negative, so never a relevant item.
    expect([...(h.relevant.get("u28") ?? [])]).not.toContain(`i${(28 + 9) % 17}`);
  });

  it("is the same split on every run and caps the users by a stable hash", () => {
    const a = timeHoldout(dataset(), { kind: "global-time-cut", heldOutFraction: 0.3, maxUsers: 4, k: 10 });
    const b = timeHoldout(dataset(), { kind: "global-time-cut", heldOutFraction: 0.3, maxUsers: 4, k: 10 });
    expect(a.relevant.size).toBe(4);
    expect([...a.relevant.keys()]).toEqual([...b.relevant.keys()]);
    expect(a.cutMs).toBe(b.cutMs);
  });
});

describe("the gate's holdout when the data's times cannot cut", () => {
  const protocol = { kind: "global-time-cut", heldOutFraction: 0.1, maxUsers: 1000, k: 10 } as const;
  const undated = (users: number): Dataset => {
    const interactions = [];
    for (let u = 0; u < users; u++)
      for (let i = 0; i < 20; i++) interactions.push({ userId: `u${u}`, itemId: `i${(u * 7 + i) % 300}`, rating: null, count: 1 + (i % 5), timestampMs: 0 });
    return { name: "plays", items: [], interactions, weightKind: "plays" };
  };

  it("holds out (user, item) pairs by hash for a log without times, says why, and trains on the rest", () => {
    const h = gateHoldout(undated(200), protocol);
    expect(h.protocol.kind).toBe("pair-hash");
    expect(h.fallback).toBe("no or constant timestamps (every row has the same time)");
    const heldRows = 4000 - h.train.interactions.length;
    // About the fraction asked for: 400 of 4000 rows, within sampling error.
    expect(heldRows).toBeGreaterThan(320);
    expect(heldRows).toBeLessThan(480);
    const trained = new Set(h.train.interactions.map((x) => `${x.userId} ${x.itemId}`));
    for (const [user, items] of h.relevant) for (const item of items) expect(trained.has(`${user} ${item}`)).toBe(false);
    // A plain time cut would have held out every row (all at time 0) and trained on none.
    expect(timeHoldout(undated(200), protocol).train.interactions).toHaveLength(0);
  });

  it("holds out the same pairs on every run, whatever rows and users were added since", () => {
    const before = gateHoldout(undated(100), protocol);
    const after = gateHoldout(undated(200), protocol);
    const heldBefore = new Set(undated(100).interactions.map((x) => `${x.userId} ${x.itemId}`));
    for (const x of before.train.interactions) heldBefore.delete(`${x.userId} ${x.itemId}`);
    const trainedAfter = new Set(after.train.interactions.map((x) => `${x.userId} ${x.itemId}`));
    for (const pair of heldBefore) expect(trainedAfter.has(pair)).toBe(false);
    expect(heldBefore.size).toBeGreaterThan(0);
  });

  it("refuses a cut that would hold out most rows tied at its time, and keeps the time cut for dated data", () => {
    const tied = undated(50);
    tied.interactions.forEach((x, n) => (x.timestampMs = n < 300 ? DAY : 2 * DAY));
    expect(timeCutProblem(tied, protocol)).toMatch(/^70\.0% of rows are at or after the cut/);
    expect(gateHoldout(tied, protocol).protocol.kind).toBe("pair-hash");
    const dated = gateHoldout(dataset(), protocol);
    expect(dated.protocol.kind).toBe("global-time-cut");
    expect(dated.fallback).toBeUndefined();
  });

  it("counts the pair-hash split's versions as unseen only when they were built on it", () => {
    const h = gateHoldout(undated(20), protocol);
    const manifest = (evaluation?: object) =>
      ({ manifest: { source: { newestInteractionAt: "1970-01-01T00:00:00.000Z" }, ...(evaluation ? { evaluation } : {}) } }) as never;
    const split = { protocol: { ...h.protocol }, cutAt: null, ndcgAt10: 0, recallAt10: 0, coverage: 0, users: 0 };
    expect(sawHoldout(manifest(), h, true)).toBe(false);
    expect(sawHoldout(manifest(), h, undefined)).toBe(true);
    expect(sawHoldout(manifest({ ...split, sawHoldout: false }), h, undefined)).toBe(false);
    expect(sawHoldout(manifest({ ...split, sawHoldout: true }), h, undefined)).toBe(true);
    expect(sawHoldout(manifest({ ...split, protocol: { ...split.protocol, heldOutFraction: 0.2 }, sawHoldout: false }), h, undefined)).toBe(true);
  });
});
