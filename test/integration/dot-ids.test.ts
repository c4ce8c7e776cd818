import { beforeAll, describe, expect, it } from "vitest";
import { ID_RULE } from "../../shared/ids";
import { adminCall, call, catalogRow, freshUser, jsonInit, postEvents, publishDemo } from "./fixtures";

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

const click = (userId: string, eventId: string, itemId = "m1") => ({ eventId, userId, itemId, type: "click", timestamp: Date.now() - 1000 });

/**
 * Ids made of dots only (`.`, `..`) are path segments a URL resolves away
 * (`%2e%2e` too): `DELETE /v1/users/..` never reaches user `..`, so such an
 * id could hold data that no one can erase or read back by path. Every
 * route refuses them as it refuses any other bad id.
 */
describe("ids made of dots only", () => {
  beforeAll(async () => {
    await publishDemo("v-dot-ids");
  });

  it("are refused in events, whichever id field holds them, with the usual 400 and the rule in words", async () => {
    for (const dots of [".", "..", "..."]) {
      const cases: [string, Record<string, unknown>][] = [
        ["userId", click(dots, `${freshUser()}-1`)],
        ["eventId", click(freshUser(), dots)],
        ["itemId", click(freshUser(), `${freshUser()}-1`, dots)],
        ["impressionId", { ...click(freshUser(), `${freshUser()}-1`), impressionId: dots }],
      ];
      for (const [field, event] of cases) {
        const res = await postEvents([event]);
        expect(res.status, `${field} ${dots}`).toBe(400);
        const { error } = await res.json<ErrorBody>();
        expect(error, `${field} ${dots}`).toMatchObject({ code: "invalid_event_batch", field });
        expect(error.message).toContain(ID_RULE);
      }
    }
    expect(ID_RULE).toContain("not only dots");
  });

  it("are refused as a user to recommend for, spelt plainly or percent-encoded", async () => {
    for (const query of ["user_id=..", "user_id=.", "user_id=%2e%2e", "user_id=%2E%2E"]) {
      const res = await call(`/v1/recommendations?${query}&limit=3`);
      expect(res.status, query).toBe(400);
      expect((await res.json<ErrorBody>()).error.code, query).toBe("invalid_request");
    }
  });

  it("are refused as a catalog item and as a seeded history's user or item", async () => {
    const item = await adminCall("/admin/catalog/items", jsonInit("POST", { items: [catalogRow("..")] }));
    expect(item.status).toBe(400);
    expect((await item.json<ErrorBody>()).error.code).toBe("invalid_item");
    for (const users of [[{ userId: "..", items: [{ itemId: "m1", weight: 1 }] }], [{ userId: freshUser(), items: [{ itemId: ".", weight: 1 }] }]]) {
      const res = await adminCall("/admin/histories", jsonInit("POST", { users }));
      expect(res.status, JSON.stringify(users)).toBe(400);
    }
  });

  it("leave ids that hold a dot among other characters alone", async () => {
    const user = `..${freshUser()}.`;
    const body = await (await postEvents([click(user, "...e.")])).json<{ accepted: string[] }>();
    expect(body.accepted).toEqual(["...e."]);
    expect((await call(`/v1/recommendations?user_id=${user}&limit=3`)).status).toBe(200);
  });
});
