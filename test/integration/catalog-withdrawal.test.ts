import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { adminCall, call, catalogRow as item, jsonInit, publishManifest } from "./fixtures";

const upsert = async (body: Record<string, unknown>) => {
  const res = await adminCall("/admin/catalog/items", jsonInit("POST", body));
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(200);
};

const editedAt = async (id: string) =>
  (await env.DB.prepare("SELECT edited_at AS t FROM items WHERE item_id = ?").bind(id).first<{ t: number | null }>())?.t ?? null;

/** An item the builder published, then an operator withdrew and blocked in Germany: the edit's time lies in [before, after]. */
async function withdrawn(id: string): Promise<{ before: number; after: number }> {
  await upsert({ items: [item(id)], indexVersion: "v-built" });
  const before = Date.now();
  await upsert({ items: [item(id, { available: false, blockedRegions: ["de"] })] });
  return { before, after: Date.now() };
}

/** The build's rows, as the pipeline sends every row of them: the item among a few more than one statement holds. */
const published = (id: string, title: string) => [...Array.from({ length: 20 }, (_, i) => item(`${id}-other-${i}`)), item(id, { title })];

describe("a publication against an operator's withdrawal: the newer fact wins", () => {
  // A catalog batch names a published version (its manifest is there first).
  beforeAll(async () => {
    await publishManifest("v-built");
    await publishManifest("v-next");
  });

  it("keeps the withdrawal and the region block when the publication's item data is older, and takes its title", async () => {
    const { before, after } = await withdrawn("w1");
    await upsert({ items: published("w1", "Retitled"), indexVersion: "v-next", catalogAsOf: before - 60_000 });
    expect(await (await call("/v1/items/w1")).json()).toEqual(item("w1", { title: "Retitled", available: false, blockedRegions: ["de"] }));
    // The row remembers the operator's edit, not the publication's write; a row only ever published has no edit.
    expect(await editedAt("w1")).toBeGreaterThanOrEqual(before);
    expect(await editedAt("w1")).toBeLessThanOrEqual(after);
    expect(await editedAt("w1-other-0")).toBeNull();
    const version = await env.DB.prepare("SELECT index_version AS v FROM items WHERE item_id = 'w1'").first<{ v: string }>();
    expect(version?.v).toBe("v-next");
  });

  it("makes the item available again when the publication's item data is newer than the edit", async () => {
    const { after } = await withdrawn("w2");
    await upsert({ items: published("w2", "Back"), indexVersion: "v-next", catalogAsOf: after + 1 });
    expect(await (await call("/v1/items/w2")).json()).toEqual(item("w2", { title: "Back", blockedRegions: [] }));
  });

  it("overwrites the edit when the publication says nothing of its data's time, as builders before catalogAsOf did", async () => {
    await withdrawn("w3");
    await upsert({ items: published("w3", "Old builder"), indexVersion: "v-next" });
    expect(await (await call("/v1/items/w3")).json()).toEqual(item("w3", { title: "Old builder", blockedRegions: [] }));
  });

  it("lets an operator's later edit win over their earlier one, whatever the publication did between", async () => {
    const { before } = await withdrawn("w4");
    await upsert({ items: [item("w4")], indexVersion: "v-next", catalogAsOf: before - 1 });
    await upsert({ items: [item("w4", { available: true })] });
    expect(await (await call("/v1/items/w4")).json()).toMatchObject({ available: true, blockedRegions: [] });
  });

  it("refuses a catalogAsOf outside a publication, or one that is not epoch milliseconds, and writes nothing", async () => {
    for (const [body, message] of [
      [{ items: [item("w5")], catalogAsOf: 1 }, "catalogAsOf is a publication's: send it with indexVersion"],
      [{ items: [item("w5")], indexVersion: "v-next", catalogAsOf: "2026-01-01" }, "catalogAsOf must be epoch milliseconds"],
      [{ items: [item("w5")], indexVersion: "v-next", catalogAsOf: -1 }, "catalogAsOf must be epoch milliseconds"],
    ] as const) {
      const res = await adminCall("/admin/catalog/items", jsonInit("POST", body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      const { error } = await res.json<{ error: { code: string; message: string } }>();
      expect(error.code).toBe("invalid_item");
      expect(error.message).toContain(message);
    }
    expect((await call("/v1/items/w5")).status).toBe(404);
  });
});
