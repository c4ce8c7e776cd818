import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../shared/checksum";
import { blobKey } from "../../shared/index-format/keys";
import worker from "../../worker/src/index";
import { ADMIN_KEY, adminCall, BASE, publishDemo } from "./fixtures";

// Findings of the outside probe of #18 not covered where their fix lives: each fails on the code the probe ran.

const bytesOf = (text: string) => new TextEncoder().encode(text);

async function putVersionBlob(version: string, name: string, bytes: Uint8Array): Promise<Response> {
  return adminCall(`/admin/index/versions/${version}/blobs/${name}`, {
    method: "PUT",
    headers: { "X-Content-Sha256": await sha256Hex(bytes), "Content-Type": "application/octet-stream" },
    body: bytes,
  });
}

describe("findings of the outside probe", () => {
  it("a live, published version takes no new blob names, nor other bytes under a listed name", async () => {
    const manifest = await publishDemo("v-probe-immutable");
    const added = await putVersionBlob("v-probe-immutable", "extra", bytesOf("smuggled"));
    expect(added.status).toBe(409);
    expect((await added.json<{ error: { code: string } }>()).error.code).toBe("version_conflict");
    const replaced = await putVersionBlob("v-probe-immutable", "popular", bytesOf("[]"));
    expect(replaced.status).toBe(409);
    // Nothing was stored for either.
    expect(await env.INDEX_KV.get(blobKey(await sha256Hex(bytesOf("smuggled"))))).toBeNull();
    // The listed blob itself may be sent again (a retried publication): unchanged.
    const listed = manifest.blobs.popular!;
    const stored = await env.INDEX_KV.get(blobKey(listed.sha256), { type: "arrayBuffer" });
    expect(stored).not.toBeNull();
    expect((await putVersionBlob("v-probe-immutable", "popular", new Uint8Array(stored!))).status).toBe(200);
    // An unpublished version still takes its blobs.
    expect((await putVersionBlob("v-probe-unpublished", "extra", bytesOf("fine"))).status).toBe(201);
    expect(await env.INDEX_KV.get(blobKey(await sha256Hex(bytesOf("fine"))))).not.toBeNull();
  });

  it.each(["region=global", "region=us", ""])("experiment counters answer 503 with a code, not 500, when Redis cannot be reached (%s)", async (query) => {
    const ctx = createExecutionContext();
    const request = new Request<unknown, IncomingRequestCfProperties>(`${BASE}/admin/experiments/exp-1=b/counters?${query}`, {
      headers: { Authorization: `Bearer ${ADMIN_KEY}` },
    });
    // A port nothing listens on: the connection is refused, as when redis-server is down.
    const res = await worker.fetch(request, { ...env, UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9", UPSTASH_REDIS_REST_TOKEN: "t" } as Env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("5");
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe("dependency_unavailable");
  });
});
