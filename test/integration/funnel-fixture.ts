import { expect } from "vitest";
import { sha256Hex } from "../../shared/checksum";
import { buildParityIndex, PARITY, parityItemIds, parityVectors } from "../../shared/ann/testdata/parity-fixture";
import { type CatalogItem } from "../../shared/catalog/catalog-item";
import { type IndexManifest } from "../../shared/index-format/manifest";
import { buildFunnelBlobs } from "../../index-builder/src/build/funnel-blobs";
import { workerdKernel } from "../../worker/src/ann/workerd-kernel";
import { type RecommendedItem } from "../../shared/ranking/recommended-item";
import { adminCall, call, demoBuild, freshUser, jsonInit, postEvents } from "./fixtures";

/** The parts of a recommendations response these tests read. */
export interface Recs {
  items: RecommendedItem[];
  degraded: string[];
  ranker: string;
}

/** GET /v1/recommendations for a user, expecting 200. */
export async function recs(user: string, extra = "&limit=10", init: RequestInit = {}): Promise<Recs> {
  const res = await call(`/v1/recommendations?user_id=${user}${extra}`, init);
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<Recs>();
}

/** A new user who liked ann-3, ann-40 and ann-41. */
export async function userWithHistory(): Promise<string> {
  const user = freshUser();
  const events = ["ann-3", "ann-40", "ann-41"].map((itemId, n) => ({ eventId: `${user}-${n}`, userId: user, itemId, type: "like", timestamp: Date.now() - 1000 }));
  expect((await postEvents(events)).status).toBe(200);
  return user;
}

const CATEGORIES = ["Action", "Drama", "Comedy"];

/** The parity items (ann-0 .. ann-1499) as a catalog: item i is in category i mod 3. */
export function funnelCatalog(): CatalogItem[] {
  return parityItemIds().map((itemId, i) => ({
    itemId,
    title: `Film ${i}`,
    categories: [CATEGORIES[i % 3]!],
    year: 1990 + (i % 30),
    tags: [],
    available: true,
  }));
}

/**
 * A complete funnel index built inside workerd from the ANN parity fixture:
 * ANN shards, item table, co-visitation (item i's neighbours are i+1..i+5),
 * fold-in data and vector pages, the popular list, and the catalog. Published
 * through the admin API like a real build.
 */
export async function publishFunnelIndex(version: string, patch: (manifest: IndexManifest) => void = () => {}): Promise<IndexManifest> {
  const catalog = funnelCatalog();
  const { manifest, popularBytes } = await demoBuild(version, catalog.slice(0, 200));
  const dims = PARITY.params.dims;
  const itemIds = parityItemIds();
  const itemVectors = parityVectors();
  const gram = new Float32Array(dims * dims);
  for (let i = 0; i < itemIds.length; i++)
    for (let a = 0; a < dims; a++) for (let b = 0; b < dims; b++) gram[a * dims + b]! += itemVectors[i * dims + a]! * itemVectors[i * dims + b]!;
  const n = itemIds.length;
  const offsets = Uint32Array.from({ length: n + 1 }, (_, i) => i * 5);
  const neighbors = Uint32Array.from({ length: n * 5 }, (_, k) => (Math.floor(k / 5) + 1 + (k % 5)) % n);
  const scores = Float32Array.from({ length: n * 5 }, (_, k) => 1 - (k % 5) * 0.1);
  const funnel = buildFunnelBlobs(
    { items: catalog },
    { dims, itemIds, itemVectors, gram, params: { alpha: 1, regularization: 0.1, regExponent: 0 } },
    { offsets, neighbors, scores },
    new Map(itemIds.map((id, i) => [id, n - i])),
  );
  // The lists store item-table rows, as the builder publishes them.
  const ann = buildParityIndex(workerdKernel(), Uint32Array.from(itemIds, (id) => funnel.rowOf.get(id)!));
  const blobs = new Map<string, { bytes: Uint8Array; contentType: string }>([["popular", { bytes: popularBytes, contentType: "application/json" }]]);
  for (const [name, blob] of [...funnel.blobs, ...ann.blobs]) blobs.set(name, blob);
  for (const [name, blob] of blobs) {
    manifest.blobs[name] = { bytes: blob.bytes.byteLength, sha256: await sha256Hex(blob.bytes), contentType: blob.contentType };
  }
  manifest.ann = ann.section;
  manifest.funnel = funnel.section;
  patch(manifest);
  for (const [name, blob] of blobs) {
    const res = await adminCall(`/admin/index/versions/${version}/blobs/${name}`, {
      method: "PUT",
      headers: { "X-Content-Sha256": manifest.blobs[name]!.sha256, "Content-Type": blob.contentType },
      body: blob.bytes,
    });
    if (!res.ok) throw new Error(`blob ${name}: ${res.status} ${await res.text()}`);
  }
  for (const [path, body] of [
    [`/admin/index/versions/${version}/manifest`, manifest],
    ["/admin/catalog/items", { items: catalog.slice(0, 500), indexVersion: version }],
    ["/admin/catalog/items", { items: catalog.slice(500, 1000), indexVersion: version }],
    ["/admin/catalog/items", { items: catalog.slice(1000), indexVersion: version }],
    ["/admin/index/current", { version }],
  ] as const) {
    const res = await adminCall(path, jsonInit(path.includes("catalog") ? "POST" : "PUT", body));
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  }
  return manifest;
}
