import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../shared/checksum";
import { blobKey, CURRENT_POINTER_KEY, manifestKey } from "../../shared/index-format/keys";
import { adminCall, call, demoBuild, jsonInit, publishDemo, rawCall } from "./fixtures";

describe("admin publication API (KV)", () => {
  it("refuses every admin call without the right key and writes nothing", async () => {
    const { manifest, popularBytes } = await demoBuild("v-noauth");
    const attempts = [
      rawCall("/admin/index/versions/v-noauth/blobs/popular", {
        method: "PUT",
        headers: { "X-Content-Sha256": manifest.blobs.popular!.sha256 },
        body: popularBytes,
      }),
      rawCall("/admin/index/current", {
        ...jsonInit("PUT", { version: "v-noauth" }),
        headers: { Authorization: "Bearer wrong", "Content-Type": "application/json" },
      }),
      rawCall("/admin/index/current", {
        ...jsonInit("PUT", { version: "v-noauth" }),
        headers: { Authorization: "Bearer sk_not-an-active-key", "Content-Type": "application/json" },
      }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(401);
      const body = await res.json<{ error: { code: string; requestId: string } }>();
      expect(body.error.code).toBe("unauthorized");
      expect(body.error.requestId).toBeTruthy();
    }
    expect(await env.INDEX_KV.get(blobKey(manifest.blobs.popular!.sha256))).toBeNull();
  });

  it("rejects a blob whose bytes do not match the declared checksum", async () => {
    const { manifest, popularBytes } = await demoBuild("v-badsum");
    const res = await adminCall("/admin/index/versions/v-badsum/blobs/popular", {
      method: "PUT",
      headers: { "X-Content-Sha256": "0".repeat(64) },
      body: popularBytes,
    });
    expect(res.status).toBe(400);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("checksum_mismatch");
    expect(await env.INDEX_KV.get(blobKey(manifest.blobs.popular!.sha256))).toBeNull();
  });

  it("refuses a manifest before its blobs, and a pointer before its manifest", async () => {
    const { manifest } = await demoBuild("v-order");
    const early = await adminCall("/admin/index/versions/v-order/manifest", jsonInit("PUT", manifest));
    expect(early.status).toBe(409);
    expect((await early.json<{ error: { code: string } }>()).error.code).toBe("index_incomplete");
    expect(await env.INDEX_KV.get(manifestKey("v-order"))).toBeNull();

    const pointer = await adminCall("/admin/index/current", jsonInit("PUT", { version: "v-order" }));
    expect(pointer.status).toBe(404);
    expect(String(await env.INDEX_KV.get(CURRENT_POINTER_KEY))).not.toContain("v-order");
  });

  it("publishes blobs, manifest, catalog and pointer; versions are immutable; rollback moves the pointer", async () => {
    await publishDemo("v-one");
    expect(await (await adminCall("/admin/index/current")).json()).toMatchObject({ version: "v-one" });

    // Blobs are content-addressed, so immutability lives in the manifest: v-one cannot come to list other bytes.
    const other = await demoBuild("v-one", (await demoBuild("x")).catalog.slice(0, 5));
    const stored = await adminCall(`/admin/index/blobs/${other.manifest.blobs.popular!.sha256}`, { method: "PUT", body: other.popularBytes });
    expect(stored.status).toBe(201);
    const conflict = await adminCall("/admin/index/versions/v-one/manifest", jsonInit("PUT", other.manifest));
    expect(conflict.status).toBe(409);
    expect((await conflict.json<{ error: { code: string } }>()).error.code).toBe("version_conflict");

    await publishDemo("v-two");
    expect((await (await call("/health")).json<{ indexVersion: string }>()).indexVersion).toBe("v-two");
    const back = await adminCall("/admin/index/current", jsonInit("PUT", { version: "v-one" }));
    expect(back.status).toBe(200);
    expect((await (await call("/health")).json<{ indexVersion: string }>()).indexVersion).toBe("v-one");
  });

  it("rejects a malformed manifest with a specific message", async () => {
    const { manifest } = await demoBuild("v-bad");
    const res = await adminCall("/admin/index/versions/v-bad/manifest", jsonInit("PUT", { ...manifest, blobs: {} }));
    expect(res.status).toBe(400);
    const body = await res.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe("invalid_manifest");
    expect(body.error.message).toContain("popular");
  });

  it("stores a batch of blobs in one request only when every checksum holds, and says which blobs are missing", async () => {
    const blobs = await Promise.all(
      ["batch a", "batch b", "batch c"].map(async (text) => {
        const bytes = new TextEncoder().encode(text);
        return { bytes, sha256: await sha256Hex(bytes) };
      }),
    );
    const form = (parts: { sha256: string; bytes: Uint8Array }[]) => {
      const body = new FormData();
      for (const p of parts) body.append(p.sha256, new Blob([p.bytes], { type: "text/plain" }), p.sha256);
      return body;
    };
    const lookup = async (sha256: unknown) =>
      (await adminCall("/admin/index/blobs/missing", jsonInit("POST", { sha256 }))).json<{ missing?: string[]; error?: { code: string } }>();
    expect((await lookup(blobs.map((b) => b.sha256))).missing).toEqual(blobs.map((b) => b.sha256));

    // One part whose bytes do not hash to its name: nothing of the batch is stored.
    const bad = await adminCall("/admin/index/blobs", { method: "POST", body: form([blobs[0]!, { ...blobs[1]!, sha256: blobs[2]!.sha256 }]) });
    expect(bad.status).toBe(400);
    expect((await bad.json<{ error: { code: string } }>()).error.code).toBe("checksum_mismatch");
    expect(await env.INDEX_KV.get(blobKey(blobs[0]!.sha256))).toBeNull();
    for (const body of [JSON.stringify({ a: 1 }), form([{ sha256: "not-a-sha", bytes: blobs[0]!.bytes }])]) {
      const refused = await adminCall("/admin/index/blobs", { method: "POST", body });
      expect(refused.status).toBe(400);
      expect((await refused.json<{ error: { code: string } }>()).error.code).toBe("invalid_request");
    }

    const ok = await adminCall("/admin/index/blobs", { method: "POST", body: form(blobs.slice(0, 2)) });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ stored: 2, bytes: 14 });
    expect(await env.INDEX_KV.get(blobKey(blobs[1]!.sha256))).toBe("batch b");
    expect((await env.INDEX_KV.getWithMetadata(blobKey(blobs[0]!.sha256))).metadata).toMatchObject({ sha256: blobs[0]!.sha256, contentType: "text/plain" });
    expect((await lookup(blobs.map((b) => b.sha256))).missing).toEqual([blobs[2]!.sha256]);
    expect((await lookup(["XYZ"])).error?.code).toBe("invalid_request");
  });
});
