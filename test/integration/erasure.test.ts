import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { erasureTag } from "../../shared/privacy/erasure-tag";
import { call, freshUser, pollUntil, postEvents, publishDemo } from "./fixtures";
import { TEST_AUTH } from "./test-auth";

interface Receipt {
  receiptId: string;
  subject: string;
  requestedAt: string;
  stores: { store: string; status: string; removed?: Record<string, number> }[];
}

const erase = async (user: string) => {
  const res = await call(`/v1/users/${user}`, { method: "DELETE" });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json<{ receipt: Receipt }>()).receipt;
};

describe("erasure receipts", () => {
  beforeAll(async () => {
    await publishDemo("v-erasure");
  });

  it("records what each store gave up, under a keyed hash of the id, readable by id or receipt", async () => {
    const user = freshUser();
    await postEvents([
      { eventId: `${user}-1`, userId: user, itemId: "m0", type: "click", timestamp: Date.now() - 1000 },
      { eventId: `${user}-2`, userId: user, itemId: "m1", type: "like", timestamp: Date.now() - 1000 },
    ]);
    const receipt = await erase(user);
    expect(receipt.subject).toBe(await erasureTag(TEST_AUTH.erasureKey, user));
    expect(receipt.subject).not.toContain(user);
    expect(receipt.stores.map((s) => s.store)).toEqual(["session", "redis", "builder-files", "index", "list-cache"]);
    expect(receipt.stores[0]).toMatchObject({ status: "erased", removed: { events: 2, seen: 2 } });
    // This suite runs without Redis: the receipt says so instead of claiming an erasure.
    expect(receipt.stores[1]!.status).toBe("disabled");

    const stored = await env.DB.prepare("SELECT * FROM erasure_receipts WHERE receipt_id = ?").bind(receipt.receiptId).first<Record<string, unknown>>();
    expect(JSON.stringify(stored)).not.toContain(user);
    const one = await (await call(`/admin/erasures/${receipt.receiptId}`)).json<Receipt>();
    expect(one).toMatchObject({ receiptId: receipt.receiptId, subject: receipt.subject, stores: receipt.stores });
    const listed = await (await call(`/admin/erasures?user=${user}`)).json<{ receipts: Receipt[] }>();
    expect(listed.receipts.map((r) => r.receiptId)).toEqual([receipt.receiptId]);
  });

  it("erases an unknown user or the same user twice with a receipt each and nothing more to remove", async () => {
    const user = freshUser();
    const first = await erase(user);
    expect(first.stores[0]!.removed?.events).toBe(0);
    const second = await erase(user);
    expect(second.receiptId).not.toBe(first.receiptId);
    expect(Object.values(second.stores[0]!.removed ?? {}).every((n) => n === 0)).toBe(true);
    const listed = await (await call(`/admin/erasures?user=${user}`)).json<{ receipts: Receipt[] }>();
    expect(listed.receipts.map((r) => r.receiptId).sort()).toEqual([first.receiptId, second.receiptId].sort());
  });

  it("never serves a list computed before the erasure, though the user comes back at once", async () => {
    const user = freshUser();
    const recs = () => call(`/v1/recommendations?user_id=${user}&limit=4`);
    await postEvents([{ eventId: `${user}-1`, userId: user, itemId: "m1", type: "click", timestamp: Date.now() - 1000 }]);
    const before = await (await recs()).json<{ sessionVersion: number }>();
    await pollUntil("the list held in this isolate", async () => (await recs()).headers.get("X-Cache") === "hit");
    await erase(user);
    // The returning user's first event: their session version must not meet the erased one's again.
    await postEvents([{ eventId: `${user}-2`, userId: user, itemId: "m2", type: "click", timestamp: Date.now() }]);
    const after = await recs();
    expect(after.headers.get("X-Cache")).toBe("miss");
    expect((await after.json<{ sessionVersion: number }>()).sessionVersion).toBeGreaterThan(before.sessionVersion);
  });

  it("refuses events that happened before the erasure, whoever replays them, and stores the rest", async () => {
    const user = freshUser();
    const click = (n: number, timestamp: number) => ({ eventId: `${user}-${n}`, userId: user, itemId: `m${n}`, type: "click", timestamp });
    const before = Date.now() - 60_000;
    expect((await postEvents([click(1, before)])).status).toBe(200);
    await erase(user);
    // An app's offline queue sends the old event again, and another from before the erasure.
    const replay = await postEvents([click(1, before), click(2, before + 1000)]);
    expect(replay.status).toBe(400);
    const refused = await replay.json<{ error: { code: string; results: { status: string; code?: string; field?: string }[] } }>();
    expect(refused.error.code).toBe("invalid_event_batch");
    expect(refused.error.results.map((r) => [r.status, r.code, r.field])).toEqual([
      ["rejected", "before_erasure", "timestamp"],
      ["rejected", "before_erasure", "timestamp"],
    ]);
    const mixed = await postEvents([click(3, before), click(4, Date.now())]);
    expect(mixed.status).toBe(200);
    expect((await mixed.json<{ results: { status: string; code?: string }[] }>()).results.map((r) => r.code ?? r.status)).toEqual([
      "before_erasure",
      "accepted",
    ]);
    const stub = env.USER_SESSION.get(env.USER_SESSION.idFromName(user));
    expect(await stub.eventIds()).toEqual([`${user}-4`]);
  });

  it("refuses bad receipt queries with a code, and keeps receipts from browsers", async () => {
    expect((await call(`/admin/erasures?user=${encodeURIComponent("no spaces")}`)).status).toBe(400);
    expect((await call(`/admin/erasures?limit=0`)).status).toBe(400);
    const missing = await call(`/admin/erasures/not-a-receipt`);
    expect(missing.status).toBe(404);
    expect((await missing.json<{ error: { code: string } }>()).error.code).toBe("not_found");
    expect((await call(`/admin/erasures`, { headers: { Authorization: "Bearer sk_wrong" } })).status).toBe(401);
  });
});
