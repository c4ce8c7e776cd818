import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../worker/src/index";
import { ADMIN_KEY, adminCall, BASE, call, freshUser, jsonInit } from "./fixtures";
import { funnelCatalog, publishFunnelIndex, type Recs } from "./funnel-fixture";

interface Page extends Recs {
  region: string;
}

/** A cold user's first list, from a caller Cloudflare places in `country` (none: unknown, as locally). */
async function coldList(user: string, country?: string): Promise<Page> {
  const path = `/v1/recommendations?user_id=${user}&limit=50`;
  if (!country) {
    const res = await call(path);
    expect(res.status, await res.clone().text()).toBe(200);
    return res.json<Page>();
  }
  const ctx = createExecutionContext();
  const request = new Request<unknown, IncomingRequestCfProperties>(`${BASE}${path}`, {
    headers: { Authorization: `Bearer ${ADMIN_KEY}` },
    cf: { country } as IncomingRequestCfProperties,
  });
  const res = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<Page>();
}

const editorialIds = (page: Page) => page.items.filter((i) => i.sources.includes("editorial")).map((i) => i.itemId);

describe("the declared region in cold start", () => {
  beforeAll(async () => {
    expect((await adminCall("/admin/config/policy", jsonInit("PUT", { default: { explorationRate: 0 } }))).status).toBe(200);
    await publishFunnelIndex("v-cold-region");
    const editorial = { home: { default: ["ann-150"], br: ["ann-160"], us: ["ann-170"] } };
    expect((await adminCall("/admin/config/editorial", jsonInit("PUT", editorial))).status).toBe(200);
  });

  it("picks the regional sources when Cloudflare does not know where the caller is", async () => {
    const undeclared = await coldList(freshUser());
    expect(undeclared.region).toBe("global");
    expect(editorialIds(undeclared)).toEqual(["ann-150"]);

    const user = freshUser();
    expect((await call(`/v1/users/${user}`, jsonInit("PUT", { region: "BR" }))).status).toBe(200);
    const declared = await coldList(user);
    expect(declared.region).toBe("br");
    expect(editorialIds(declared)).toEqual(["ann-160"]);
    expect(declared.items.map((i) => i.itemId)).not.toEqual(undeclared.items.map((i) => i.itemId));
  });

  it("gives way to where Cloudflare places the caller", async () => {
    const user = freshUser();
    expect((await call(`/v1/users/${user}`, jsonInit("PUT", { region: "BR" }))).status).toBe(200);
    const travelling = await coldList(user, "US");
    expect(travelling.region).toBe("us");
    expect(editorialIds(travelling)).toEqual(["ann-170"]);
  });

  it("hides what is blocked in the declared region", async () => {
    const user = freshUser();
    expect((await call(`/v1/users/${user}`, jsonInit("PUT", { region: "BR" }))).status).toBe(200);
    const elsewhere = (await coldList(freshUser())).items.map((i) => i.itemId);
    const target = (await coldList(user)).items.map((i) => i.itemId).find((id) => elsewhere.includes(id))!;
    const item = { ...funnelCatalog().find((c) => c.itemId === target)!, blockedRegions: ["br"] };
    expect((await adminCall("/admin/catalog/items", jsonInit("POST", { items: [item] }))).status).toBe(200);
    expect((await coldList(user)).items.map((i) => i.itemId)).not.toContain(target);
    expect((await coldList(freshUser())).items.map((i) => i.itemId)).toContain(target);
  });
});
