import { env, exports } from "cloudflare:workers";
import { sha256Hex } from "../../shared/checksum";
import { readManifest } from "../../shared/index-format/index-reader";
import { blobKey } from "../../shared/index-format/keys";
import { type IndexManifest, MANIFEST_FORMAT_VERSION } from "../../shared/index-format/manifest";
import { encodePopularBlob } from "../../shared/index-format/popular";
import { demoCatalog, demoPopular } from "../fixtures/funnel-index";

export { demoCatalog, demoPopular };

export const ADMIN_KEY = "integration-admin-key";
export const BASE = "http://recs.test";

/** Calls the Worker's own fetch handler, as a client on the network would. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

export function adminCall(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${ADMIN_KEY}`);
  return call(path, { ...init, headers });
}

export function postEvents(events: unknown[]): Promise<Response> {
  return call("/v1/events", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ events }) });
}

export async function demoBuild(version: string, catalog = demoCatalog()) {
  const popularBytes = encodePopularBlob(demoPopular(catalog));
  const manifest: IndexManifest = {
    formatVersion: MANIFEST_FORMAT_VERSION,
    version,
    builtAt: "2026-01-01T00:00:00.000Z",
    source: { dataset: "fixture", newestInteractionAt: "2026-01-01T00:00:00.000Z" },
    counts: { items: catalog.length, users: 0, interactions: 0, categories: 2 },
    blobs: { popular: { bytes: popularBytes.byteLength, sha256: await sha256Hex(popularBytes), contentType: "application/json" } },
    fallbackItemIds: catalog.map((c) => c.itemId),
  };
  return { manifest, popularBytes, catalog };
}

/** Publishes a fixture version through the admin API, in publication order. */
export async function publishDemo(version: string, catalog = demoCatalog()): Promise<IndexManifest> {
  const { manifest, popularBytes } = await demoBuild(version, catalog);
  await expectOk(
    adminCall(`/admin/index/versions/${version}/blobs/popular`, {
      method: "PUT",
      headers: { "X-Content-Sha256": manifest.blobs.popular!.sha256, "Content-Type": "application/json" },
      body: popularBytes,
    }),
  );
  await expectOk(adminCall(`/admin/index/versions/${version}/manifest`, jsonInit("PUT", manifest)));
  await expectOk(adminCall("/admin/catalog/items", jsonInit("POST", { items: catalog, indexVersion: version })));
  await expectOk(adminCall("/admin/index/current", jsonInit("PUT", { version })));
  return manifest;
}

export function jsonInit(method: string, body: unknown): RequestInit {
  return { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
}

async function expectOk(pending: Promise<Response>): Promise<void> {
  const res = await pending;
  if (!res.ok) throw new Error(`${res.status}: ${await res.text()}`);
}

let counter = 0;
/** A user id no other test uses. */
export function freshUser(): string {
  counter += 1;
  return `user-${Date.now().toString(36)}-${counter}`;
}

/** The KV key of a published version's blob (blobs are stored by content address). */
export async function versionBlobKey(version: string, name: string): Promise<string> {
  const manifest = await readManifest(env.INDEX_KV, version);
  const ref = manifest?.blobs[name];
  if (!ref) throw new Error(`version ${version} lists no blob ${name}`);
  return blobKey(ref.sha256);
}
