import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { FUNNEL_BLOBS, vectorPageName } from "../../shared/index-format/funnel-section";
import { adminCall, jsonInit, versionBlobKey } from "./fixtures";
import { publishFunnelIndex, recs, userWithHistory } from "./funnel-fixture";

async function corrupt(version: string, name: string): Promise<void> {
  const key = await versionBlobKey(version, name);
  const bytes = new Uint8Array((await env.INDEX_KV.get(key, "arrayBuffer"))!);
  bytes[bytes.length >> 1]! ^= 0xff;
  await env.INDEX_KV.put(key, bytes);
}

describe("the funnel under faults: always 200, the degraded stage named", () => {
  beforeAll(async () => {
    expect((await adminCall("/admin/config/policy", jsonInit("PUT", { default: { explorationRate: 0 } }))).status).toBe(200);
  });

  it("serves ANN and context candidates on a healthy index", async () => {
    await publishFunnelIndex("v-funnel-ok");
    const user = await userWithHistory();
    const home = await recs(user);
    expect(home.degraded).toEqual([]);
    expect(home.items).toHaveLength(10);
    expect(home.items.every((i) => i.sources.includes("ann"))).toBe(true);
    for (const seen of ["ann-3", "ann-40", "ann-41"]) expect(home.items.map((i) => i.itemId)).not.toContain(seen);
    // In the co-visitation fixture ann-42 .. ann-46 follow ann-41: up next after it.
    const upNext = await recs(user, "&surface=up_next&item_id=ann-41&limit=10");
    expect(upNext.degraded).toEqual([]);
    const context = upNext.items.filter((i) => i.sources.includes("context"));
    expect(context.map((i) => i.itemId)).toContain("ann-42");
    expect(context.length).toBeGreaterThanOrEqual(2);
    for (const item of context) expect(item.reasons.map((r) => r.text)).toContain("More like Film 41");
    expect(upNext.items.map((i) => i.itemId)).not.toContain("ann-41");
  });

  it("skips corrupt and missing ANN shards", async () => {
    const manifest = await publishFunnelIndex("v-funnel-shards");
    const [first, ...rest] = manifest.ann!.shards;
    await env.INDEX_KV.delete(await versionBlobKey("v-funnel-shards", first!.name));
    for (const shard of rest) await corrupt("v-funnel-shards", shard.name);
    const body = await recs(await userWithHistory());
    expect(body.degraded).toEqual(expect.arrayContaining([`${first!.name}_missing`, `${rest[0]!.name}_checksum_mismatch`]));
    expect(body.items).toHaveLength(10);
    expect(body.items.flatMap((i) => i.sources)).not.toContain("ann");
  });

  it("goes without a user vector when the vector pages are corrupt", async () => {
    const manifest = await publishFunnelIndex("v-funnel-vectors");
    const pages = Array.from({ length: manifest.funnel!.vectorPages }, (_, p) => vectorPageName(p));
    for (const page of pages) await corrupt("v-funnel-vectors", page);
    const body = await recs(await userWithHistory());
    expect(body.degraded.some((d) => /^vectors-\d+_checksum_mismatch$/.test(d))).toBe(true);
    expect(body.items.flatMap((i) => i.sources)).not.toContain("ann");
    expect(body.items).toHaveLength(10);
  });

  it("falls back to the popular list when the item table is corrupt", async () => {
    await publishFunnelIndex("v-funnel-table");
    await corrupt("v-funnel-table", FUNNEL_BLOBS.itemTable);
    const body = await recs(await userWithHistory());
    expect(body.degraded).toContain(`${FUNNEL_BLOBS.itemTable}_checksum_mismatch`);
    expect(body.items).toHaveLength(10);
  });

  it("serves a cold-start list when the user's Durable Object throws", async () => {
    await publishFunnelIndex("v-funnel-do");
    const user = await userWithHistory();
    const stub = env.USER_SESSION.get(env.USER_SESSION.idFromName(user));
    await runInDurableObject(stub, (_instance, state) => void state.storage.sql.exec("DROP TABLE events"));
    const body = await recs(user);
    expect(body.degraded).toContain("session_error");
    expect(body.items).toHaveLength(10);
  });
});
