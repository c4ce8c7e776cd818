import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { blobKey } from "../../shared/index-format/keys";
import { sha256Hex } from "../../shared/checksum";
import { type IndexManifest } from "../../shared/index-format/manifest";
import { type RecommendedItem } from "../../shared/ranking/recommended-item";
import { workerdKernel } from "../../worker/src/ann/workerd-kernel";
import { type PageSizes } from "../../index-builder/src/build/funnel-blobs";
import { fixtureFunnelIndex, funnelCatalog } from "../fixtures/funnel-index";
import { adminCall, call, demoBuild, freshUser, jsonInit, postEvents } from "./fixtures";

export { funnelCatalog };

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
  const events = ["ann-3", "ann-40", "ann-41"].map((itemId, n) => ({
    eventId: `${user}-${n}`,
    userId: user,
    itemId,
    type: "like",
    timestamp: Date.now() - 1000,
  }));
  expect((await postEvents(events)).status).toBe(200);
  return user;
}

/**
 * The fixture funnel index (test/fixtures/funnel-index.ts), built inside
 * workerd and published through the admin API like a real build, with the
 * catalog. `extra` blobs (a heavy ranker) go in with it; `pages` overrides
 * the page sizes (PAGED_ITEMS: a paged item table).
 */
export async function publishFunnelIndex(
  version: string,
  patch: (manifest: IndexManifest) => void = () => {},
  extra: ReadonlyMap<string, { bytes: Uint8Array; contentType: string }> = new Map(),
  pages: Partial<PageSizes> = {},
): Promise<IndexManifest> {
  const fixture = fixtureFunnelIndex(workerdKernel(), pages);
  const { catalog } = fixture;
  const { manifest, popularBytes } = await demoBuild(version, catalog.slice(0, 200));
  const blobs = new Map<string, { bytes: Uint8Array; contentType: string }>([["popular", { bytes: popularBytes, contentType: "application/json" }]]);
  for (const [name, blob] of [...fixture.blobs, ...extra]) blobs.set(name, blob);
  for (const [name, blob] of blobs) {
    manifest.blobs[name] = { bytes: blob.bytes.byteLength, sha256: await sha256Hex(blob.bytes), contentType: blob.contentType };
  }
  manifest.ann = fixture.ann;
  manifest.funnel = fixture.funnel;
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

/**
 * The index store as the Worker reads it, with the name of every blob read
 * through it (keys are content-addressed; the manifest names them).
 */
export function countingKv(manifest: IndexManifest): { kv: KVNamespace; read: string[] } {
  const nameOf = new Map(Object.entries(manifest.blobs).map(([name, ref]) => [blobKey(ref.sha256), name]));
  const read: string[] = [];
  const kv = new Proxy(env.INDEX_KV, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (prop === "get") read.push(nameOf.get(String(args[0])) ?? String(args[0]));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { kv, read };
}
