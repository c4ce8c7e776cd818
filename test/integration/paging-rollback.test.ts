import { beforeAll, describe, expect, it } from "vitest";
import { adminCall, call, freshUser, jsonInit, pollUntil } from "./fixtures";
import { publishFunnelIndex, type Recs } from "./funnel-fixture";

interface Page extends Recs {
  indexVersion: string;
  nextCursor: string | null;
}

async function page(user: string, cursor?: string | null): Promise<Page> {
  const res = await call(`/v1/recommendations?user_id=${user}&limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<Page>();
}

/** The first page, once this isolate holds its list (the store runs after the response). */
async function firstPageHeld(user: string): Promise<Page> {
  const res = await pollUntil("the list held in this isolate", async () => {
    const res = await call(`/v1/recommendations?user_id=${user}&limit=5`);
    return res.headers.get("X-Cache") === "hit" && res;
  });
  return res.json<Page>();
}

const ids = (p: Page) => p.items.map((i) => i.itemId);

describe("paging across a rollback", () => {
  beforeAll(async () => {
    expect((await adminCall("/admin/config/policy", jsonInit("PUT", { default: { explorationRate: 0 } }))).status).toBe(200);
    await publishFunnelIndex("v-page-a");
  });

  it("continues a paging session begun on a rolled-back version without repeating an item, not at page 1", async () => {
    const user = freshUser();
    // The user's list on version A is held at the session version it still has after the rollback.
    const onA = await firstPageHeld(user);
    expect(onA.indexVersion).toBe("v-page-a");
    await publishFunnelIndex("v-page-b");
    const first = await firstPageHeld(user);
    expect(first.indexVersion).toBe("v-page-b");

    expect((await adminCall("/admin/index/current", jsonInit("PUT", { version: "v-page-a" }))).status).toBe(200);
    const shown = new Set(ids(first));
    expect(first.nextCursor).toBeTruthy();
    let cursor = first.nextCursor;
    for (let n = 2; n <= 4; n++) {
      const next = await page(user, cursor);
      expect(next.indexVersion).toBe("v-page-a");
      expect(next.items).toHaveLength(5);
      // Restarting would serve A's held list from its top.
      if (n === 2) expect(ids(next)).not.toEqual(ids(onA));
      for (const id of ids(next)) {
        expect(shown.has(id), `page ${n} repeats ${id}`).toBe(false);
        shown.add(id);
      }
      cursor = next.nextCursor;
    }
  });

  it("keeps serving a paging session from its own list while the version stays", async () => {
    const user = freshUser();
    const first = await firstPageHeld(user);
    const second = await page(user, first.nextCursor);
    expect(ids(second).some((id) => ids(first).includes(id))).toBe(false);
  });
});
