import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../shared/checksum";
import parity from "../../shared/ann/testdata/parity.json";
import { buildParityIndex, PARITY } from "../../shared/ann/testdata/parity-fixture";
import { workerdKernel } from "../../worker/src/ann/workerd-kernel";
import { adminCall, call, demoBuild, demoCatalog, jsonInit, versionBlobKey } from "./fixtures";

interface SimilarBody {
  itemId: string;
  items: { itemId: string; score: number }[];
  degraded: string[];
}

/** Builds the parity index inside workerd and publishes it with a fixture catalog through the admin API. */
async function publishAnn(version: string) {
  const built = buildParityIndex(workerdKernel());
  const { manifest, popularBytes } = await demoBuild(version, demoCatalog(5));
  const blobs = new Map([["popular", popularBytes], ...[...built.blobs].map(([name, b]) => [name, b.bytes] as const)]);
  for (const [name, blob] of built.blobs) {
    manifest.blobs[name] = { bytes: blob.bytes.byteLength, sha256: await sha256Hex(blob.bytes), contentType: blob.contentType };
  }
  manifest.ann = built.section;
  for (const [name, bytes] of blobs) {
    const res = await adminCall(`/admin/index/versions/${version}/blobs/${name}`, {
      method: "PUT",
      headers: { "X-Content-Sha256": manifest.blobs[name]!.sha256, "Content-Type": "application/octet-stream" },
      body: bytes,
    });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
  }
  expect((await adminCall(`/admin/index/versions/${version}/manifest`, jsonInit("PUT", manifest))).status).toBeLessThan(300);
  expect((await adminCall("/admin/index/current", jsonInit("PUT", { version }))).status).toBeLessThan(300);
  return { manifest, built };
}

const similar = (id: string, query = `limit=${PARITY.knobs.limit}&nprobe=${PARITY.knobs.nprobe}&shortlist=${PARITY.knobs.shortlist}`) =>
  call(`/v1/items/${id}/similar?${query}`);

describe("ANN in workerd: built, published to KV as shards, searched by the Worker", () => {
  it("builds byte-identical blobs and answers with the same ids as Node", async () => {
    const { manifest, built } = await publishAnn("v-ann");
    expect(built.section.shards.length).toBeGreaterThan(2);
    const sha256 = Object.fromEntries([...built.blobs.keys()].map((name) => [name, manifest.blobs[name]!.sha256]));
    expect(sha256).toEqual(parity.sha256);
    for (const itemId of PARITY.queries) {
      const res = await similar(itemId);
      expect(res.status).toBe(200);
      const body = await res.json<SimilarBody>();
      expect(body.degraded).toEqual([]);
      expect(body.items.map((x) => x.itemId)).toEqual(parity.answers[itemId as keyof typeof parity.answers]);
      expect(res.headers.get("Server-Timing")).toContain("search");
    }
  });

  it("skips a corrupt or missing shard, names it, and still answers", async () => {
    const { manifest } = await publishAnn("v-ann-bad");
    const [first, second] = manifest.ann!.shards;
    const stored = new Uint8Array((await env.INDEX_KV.get(await versionBlobKey("v-ann-bad", second!.name), "arrayBuffer"))!);
    stored[100]! ^= 0xff;
    await env.INDEX_KV.put(await versionBlobKey("v-ann-bad", second!.name), stored);
    await env.INDEX_KV.delete(await versionBlobKey("v-ann-bad", first!.name));
    const res = await similar("ann-1499", "limit=10&nprobe=16&shortlist=50");
    expect(res.status).toBe(200);
    const body = await res.json<SimilarBody>();
    expect(body.degraded).toEqual(expect.arrayContaining([`${first!.name}_missing`, `${second!.name}_checksum_mismatch`]));
    expect(body.items.length).toBe(10);
  });

  it("answers 404 for an item without a vector and 400 for bad knobs", async () => {
    await publishAnn("v-ann-404");
    const missing = await similar("no-such-item");
    expect(missing.status).toBe(404);
    expect((await missing.json<{ error: { code: string } }>()).error.code).toBe("item_not_found");
    const bad = await similar("ann-1", "limit=0");
    expect(bad.status).toBe(400);
    expect((await bad.json<{ error: { code: string } }>()).error.code).toBe("invalid_request");
  });

  it("refuses nprobe and shortlist the schema bounds before reading the index, and an nprobe above the index's nlist after", async () => {
    const { built } = await publishAnn("v-ann-knobs");
    const nlist = built.section.nlist;
    const refusal = async (query: string) => {
      const res = await similar("ann-1", query);
      const body = await res.json<{ error: { code: string; message: string } }>();
      return { status: res.status, code: body.error.code, message: body.error.message };
    };
    for (const nprobe of ["0", "1.5", "x", "65537"]) {
      expect(await refusal(`nprobe=${nprobe}`)).toEqual({ status: 400, code: "invalid_request", message: "nprobe must be an integer from 1 to 65536" });
    }
    for (const shortlist of ["-1", "10001", "2.5"]) {
      expect(await refusal(`shortlist=${shortlist}`)).toEqual({
        status: 400,
        code: "invalid_request",
        message: "shortlist must be an integer from 0 to 10000",
      });
    }
    expect(await refusal(`nprobe=${nlist + 1}`)).toEqual({ status: 400, code: "invalid_request", message: `nprobe must be an integer from 1 to ${nlist}` });
    expect((await similar("ann-1", `limit=5&nprobe=${nlist}&shortlist=0`)).status).toBe(200);
  });
});
