import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../../shared/ranking/policy/policy-config";
import { EDITORIAL_KEY, POLICY_KEY } from "../../worker/src/config/config-store";
import { adminCall, jsonInit } from "./fixtures";

const read = async (path: string) => {
  const res = await adminCall(path);
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
};

describe("GET /admin/config/policy and /admin/config/editorial", () => {
  it("answer the defaults and say nothing was stored, then exactly what was stored", async () => {
    await env.INDEX_KV.delete(POLICY_KEY);
    await env.INDEX_KV.delete(EDITORIAL_KEY);
    expect(await read("/admin/config/policy")).toEqual({ stored: false, policy: {}, defaults: DEFAULT_POLICY });
    expect(await read("/admin/config/editorial")).toEqual({ stored: false, editorial: {} });

    const policy = { default: { explorationRate: 0 }, home: { mmrLambda: 0.5, rules: [{ kind: "pin", itemId: "858", position: 1 }] } };
    expect((await adminCall("/admin/config/policy", jsonInit("PUT", policy))).status).toBe(200);
    expect(await read("/admin/config/policy")).toEqual({ stored: true, policy, defaults: DEFAULT_POLICY });
    const editorial = { home: { default: ["858"], us: ["260", "1"] } };
    expect((await adminCall("/admin/config/editorial", jsonInit("PUT", editorial))).status).toBe(200);
    expect(await read("/admin/config/editorial")).toEqual({ stored: true, editorial });
  });

  it("read KV itself, not the isolate's 30-second copy: a change stored elsewhere shows at once", async () => {
    expect((await adminCall("/admin/config/policy", jsonInit("PUT", { default: { explorationRate: 0 } }))).status).toBe(200);
    await read("/admin/config/policy");
    // As another isolate's PUT leaves it: in KV, this isolate's copy untouched.
    await env.INDEX_KV.put(POLICY_KEY, JSON.stringify({ up_next: { frequencyCap: 3 } }));
    expect(await read("/admin/config/policy")).toMatchObject({ stored: true, policy: { up_next: { frequencyCap: 3 } } });
  });
});
