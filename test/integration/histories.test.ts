import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { AFFINITY_HALF_LIFE_MS } from "../../shared/events/affinity-decay";
import { ID_RULE } from "../../shared/ids";
import { funnelSession, SESSION_RECENT_EVENTS } from "../../shared/funnel/session";
import { offlineSession } from "../../index-builder/src/funnel/offline-session";
import { adminCall, browserCall, call, freshUser, jsonInit, postEvents, publishDemo, rawCall } from "./fixtures";

const stubOf = (userId: string) => env.USER_SESSION.get(env.USER_SESSION.idFromName(userId));
const seed = (users: unknown) => adminCall("/admin/histories", jsonInit("POST", { users }));

async function expectRefused(res: Response, message: string, field: string): Promise<void> {
  expect(res.status, await res.clone().text()).toBe(400);
  const { error } = await res.json<{ error: { code: string; message: string; field: string } }>();
  expect(error).toMatchObject({ code: "invalid_history", message, field });
}

describe("seeded histories (POST /admin/histories)", () => {
  beforeAll(async () => {
    // The catalog gives the items their categories (even m* = Drama, odd = Comedy).
    await publishDemo("v-histories");
  });

  it("is what the session's fold-in, seen filter and affinities read, exactly as the builder's evaluation reads training rows", async () => {
    const categoryOf = (id: string) => (Number(id.slice(1)) % 3 === 0 ? "Drama" : "Comedy");
    await addCatalog(
      Array.from({ length: 60 }, (_, i) => `x${i}`),
      categoryOf,
    );
    const user = freshUser();
    const newest = Date.now() - 86_400_000;
    // 60 dated items, oldest first: more than the 50 the session folds in, so the oldest ten are seen but not folded in.
    const items = Array.from({ length: 60 }, (_, i) => ({ itemId: `x${i}`, weight: 0.5 + (i % 7) / 2, timestamp: newest - (59 - i) * 3600_000 }));
    const res = await seed([{ userId: user, items }]);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ users: [{ userId: user, items: 60, sessionVersion: 1 }], items: 60 });

    const served = funnelSession(await stubOf(user).snapshot());
    const offline = offlineSession(
      items.map((x) => ({ itemId: x.itemId, weight: x.weight, timestampMs: x.timestamp })),
      Date.now(),
      (id) => [categoryOf(id)],
      SESSION_RECENT_EVENTS,
    );
    // Fold-in and co-visitation seeds: the same 50 items, newest first, with the weights training gave them.
    expect(served.history).toHaveLength(50);
    expect(served.history).toEqual(offline.history);
    expect(new Set(served.seenItemIds)).toEqual(new Set(offline.seenItemIds));
    // Affinities: decayed from each item's time to now, as the builder decays them to the request's time.
    expect(served.affinities.map((a) => a.category)).toEqual(offline.affinities.map((a) => a.category));
    served.affinities.forEach((a, i) => expect(a.score).toBeCloseTo(offline.affinities[i]!.score, 6));
    // Nothing of it is an event: no stored event ids, nothing owed to Redis.
    expect(await stubOf(user).eventIds()).toEqual([]);
    expect(await stubOf(user).pendingOutbox()).toBe(0);
  });

  it("folds in the 50 newest, after the live events, and keeps the rest seen", async () => {
    await addCatalog(
      Array.from({ length: 70 }, (_, i) => `h${i}`),
      () => "Drama",
    );
    const user = freshUser();
    // Undated, oldest first: h0 is the oldest.
    const items = Array.from({ length: 70 }, (_, i) => ({ itemId: `h${i}`, weight: 1 }));
    expect((await seed([{ userId: user, items }])).status).toBe(200);
    await postEvents([{ eventId: `${user}-1`, userId: user, itemId: "m3", type: "like", timestamp: Date.now() - 1000 }]);
    const snapshot = await stubOf(user).snapshot();
    expect(snapshot.recentEvents[0]).toEqual({ itemId: "m3", type: "like" });
    expect(snapshot.recentEvents.slice(1).map((e) => e.itemId)).toEqual(Array.from({ length: 49 }, (_, k) => `h${69 - k}`));
    expect(snapshot.recentEvents[1]).toEqual({ itemId: "h69", type: "history", weight: 1 });
    expect(snapshot.seenItemIds).toEqual(["m3", ...Array.from({ length: 70 }, (_, k) => `h${69 - k}`)]);
    // Undated history counts as of its seeding: Drama's affinity is the 70 items' weight plus the like's 4, undecayed.
    expect(snapshot.affinities.find((a) => a.category === "Drama")!.score).toBeCloseTo(70, 0);
    expect(snapshot.affinities.find((a) => a.category === "Comedy")!.score).toBeCloseTo(4, 2);
  });

  it("leaves the seen items out of the very next list: the session version moved, so the cached list is not served", async () => {
    const user = freshUser();
    const list = async (limit: number) =>
      (await (await call(`/v1/recommendations?user_id=${user}&limit=${limit}`)).json<{ items: { itemId: string }[] }>()).items.map((i) => i.itemId);
    const before = await list(10);
    const seen = [before[0]!, before[2]!];
    expect((await seed([{ userId: user, items: seen.map((itemId) => ({ itemId, weight: 1 })) }])).status).toBe(200);
    // The same request again, answered anew: the seen items are left out, and the history's category leads the list.
    const after = await list(10);
    for (const id of seen) expect(after).not.toContain(id);
    expect(after).not.toEqual(before);
  });

  it("replaces a history whole, leaves live events alone, clears with [], and reads back newest first", async () => {
    const user = freshUser();
    await postEvents([{ eventId: `${user}-1`, userId: user, itemId: "m9", type: "click", timestamp: Date.now() - 1000 }]);
    expect(
      (
        await seed([
          {
            userId: user,
            items: [
              { itemId: "m0", weight: 1 },
              { itemId: "m1", weight: -1 },
            ],
          },
        ])
      ).status,
    ).toBe(200);
    const iso = "2024-05-01T10:00:00Z";
    const second = await seed([
      {
        userId: user,
        items: [
          { itemId: "m5", weight: 3, timestamp: iso },
          { itemId: "m4", weight: 2, timestamp: Date.parse(iso) - 1000 },
        ],
      },
    ]);
    expect(second.status).toBe(200);
    const read = await (await adminCall(`/admin/histories/${user}`)).json<{ items: unknown[]; seededAt: string | null }>();
    // Dated items are ordered by time, whatever the order sent: m5 is the newer.
    expect(read.items).toEqual([
      { itemId: "m5", weight: 3, timestampMs: Date.parse(iso) },
      { itemId: "m4", weight: 2, timestampMs: Date.parse(iso) - 1000 },
    ]);
    expect(Date.now() - Date.parse(read.seededAt!)).toBeLessThan(60_000);
    expect((await stubOf(user).snapshot()).seenItemIds).toEqual(["m9", "m5", "m4"]);
    // Affinities of 2024: decayed by every half-life since.
    const drama = (await stubOf(user).snapshot()).affinities.find((a) => a.category === "Drama");
    expect(drama === undefined || drama.score < 2 * Math.pow(0.5, (Date.now() - Date.parse(iso)) / AFFINITY_HALF_LIFE_MS) + 1e-9).toBe(true);

    expect((await seed([{ userId: user, items: [] }])).status).toBe(200);
    expect(await (await adminCall(`/admin/histories/${user}`)).json()).toEqual({ userId: user, items: [], seededAt: null });
    const snapshot = await stubOf(user).snapshot();
    expect(snapshot.seenItemIds).toEqual(["m9"]);
    expect(snapshot.affinities.map((a) => a.category)).toEqual(["Comedy"]);
  });

  it("is erased with the user", async () => {
    const user = freshUser();
    expect((await seed([{ userId: user, items: [{ itemId: "m0", weight: 1 }] }])).status).toBe(200);
    const res = await call(`/v1/users/${user}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    const { receipt } = await res.json<{ receipt: { stores: { store: string; removed?: Record<string, number> }[] } }>();
    expect(receipt.stores[0]!.removed).toMatchObject({ history: 1, history_affinities: 1 });
    expect((await stubOf(user).snapshot()).seenItemIds).toEqual([]);
    expect((await (await adminCall(`/admin/histories/${user}`)).json<{ items: unknown[] }>()).items).toEqual([]);
  });

  it("refuses bad input with the field at fault, and stores nothing of the batch", async () => {
    const ok = freshUser();
    const good = { userId: ok, items: [{ itemId: "m0", weight: 1 }] };
    await expectRefused(await seed([good, { userId: ok, items: [] }]), `users[1].userId: user ${ok} is listed twice; nothing was stored`, "users[1].userId");
    await expectRefused(
      await seed([good, { userId: "b", items: [{ itemId: "m1", weight: 101 }] }]),
      "users[1].items[0].weight: a number from -100 to 100 (the weight the index trained the pair with); nothing was stored",
      "users[1].items[0].weight",
    );
    await expectRefused(
      await seed([
        good,
        {
          userId: "b",
          items: [
            { itemId: "m1", weight: 1 },
            { itemId: "m1", weight: 2 },
          ],
        },
      ]),
      "users[1].items[1].itemId: item m1 is listed twice for this user (send each pair once, with its summed weight); nothing was stored",
      "users[1].items[1].itemId",
    );
    await expectRefused(
      await seed([
        good,
        {
          userId: "b",
          items: [
            { itemId: "m1", weight: 1, timestamp: 1 },
            { itemId: "m2", weight: 1 },
          ],
        },
      ]),
      "users[1].items: give every item a timestamp or none; nothing was stored",
      "users[1].items",
    );
    await expectRefused(
      await seed([good, { userId: "b", items: [{ itemId: "m1", weight: 1, timestamp: Date.now() + 3600_000 }] }]),
      "users[1].items[0].timestamp: lies more than 5 minutes in the future; nothing was stored",
      "users[1].items[0].timestamp",
    );
    await expectRefused(
      await seed([good, { userId: "b", items: [{ itemId: "nope", weight: 1 }] }]),
      "users[1].items[0].itemId: item nope is not in the catalog; nothing was stored",
      "users[1].items[0].itemId",
    );
    await expectRefused(
      await seed([good, { userId: "b", items: [{ itemId: "m1", weight: 1, seconds: 3 }] }]),
      "users[1].items[0].seconds: unknown field (allowed: itemId, weight, timestamp); nothing was stored",
      "users[1].items[0].seconds",
    );
    // "required" only for an absent id; a value of the wrong type is told the type expected and the type got.
    await expectRefused(await seed([good, { items: [] }]), `users[1].userId: required; ${ID_RULE}; nothing was stored`, "users[1].userId");
    await expectRefused(
      await seed([good, { userId: 7, items: [] }]),
      `users[1].userId: expected a string (${ID_RULE}), got a number; nothing was stored`,
      "users[1].userId",
    );
    await expectRefused(
      await seed([good, { userId: "b", items: [{ itemId: "a b", weight: 1 }] }]),
      `users[1].items[0].itemId: must be ${ID_RULE}; nothing was stored`,
      "users[1].items[0].itemId",
    );
    await expectRefused(
      await seed([good, { userId: "b", items: [{ itemId: "m1", weight: 1, timestamp: "2026-12-06T04:00:00" }] }]),
      'users[1].items[0].timestamp: "2026-12-06T04:00:00" has no time zone: add Z for UTC or an offset such as +02:00; nothing was stored',
      "users[1].items[0].timestamp",
    );
    await expectRefused(await seed([]), expect.stringContaining("with 1 to 200 users") as unknown as string, "users");
    await expectRefused(
      await seed(Array.from({ length: 3 }, (_, u) => ({ userId: `big${u}`, items: Array.from({ length: 2000 }, (_, i) => ({ itemId: `i${i}`, weight: 1 })) }))),
      "users: at most 5000 items in all per request; send the rest in another; nothing was stored",
      "users",
    );
    // Nothing of the refused batches reached the good user.
    expect((await stubOf(ok).snapshot()).sessionVersion).toBe(0);
    expect((await call("/admin/histories", jsonInit("POST", { users: [good] }))).status).toBe(200);
  });

  it("takes secret keys only", async () => {
    const res = await call("/admin/histories", jsonInit("POST", { users: [{ userId: "x", items: [] }] }));
    expect(res.status).toBe(200);
    const browser = await browserCall("/admin/histories", jsonInit("POST", { users: [{ userId: "x", items: [] }] }));
    expect(browser.status).toBe(403);
    expect((await rawCall("/admin/histories/x")).status).toBe(401);
  });
});

/** Catalog items with one category each. */
async function addCatalog(ids: string[], categoryOf: (id: string) => string): Promise<void> {
  const items = ids.map((itemId) => ({ itemId, title: itemId, categories: [categoryOf(itemId)], year: 2000, tags: [], available: true }));
  const res = await adminCall("/admin/catalog/items", jsonInit("POST", { items }));
  expect(res.status, await res.clone().text()).toBe(200);
}
