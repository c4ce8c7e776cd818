import { describe, expect, it } from "vitest";
import { type Dataset } from "../data/movielens";
import { timeHoldout } from "./holdout";

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
