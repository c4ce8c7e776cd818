import { env, exports } from "cloudflare:workers";
import { signUserToken } from "../../shared/auth/user-token";
import { sha256Hex } from "../../shared/checksum";
import { readManifest } from "../../shared/index-format/index-reader";
import { blobKey } from "../../shared/index-format/keys";
import { type IndexManifest, MANIFEST_FORMAT_VERSION } from "../../shared/index-format/manifest";
import { encodePopularBlob } from "../../shared/index-format/popular";
import { demoCatalog, demoPopular } from "../fixtures/funnel-index";
import { poll } from "../poll";
import { TEST_AUTH } from "./test-auth";

export { demoCatalog, demoPopular };

/** The suite's secret key: what servers and admin tooling send. */
export const ADMIN_KEY = TEST_AUTH.secretKey;
export const BASE = "http://recs.test";

/** Calls the Worker's own fetch handler exactly as given, as any client on the network could. */
export function rawCall(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

/** Calls as the customer's server: with the secret key, unless the request brings its own credentials. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("Authorization") && !headers.has("X-Api-Key")) headers.set("Authorization", `Bearer ${ADMIN_KEY}`);
  return rawCall(path, { ...init, headers });
}

/** A user token as the customer's backend signs it (`expiresInS` may be negative: already expired). */
export function userToken(userId: string, options: { expiresInS?: number; audience?: string; secret?: string; kid?: string } = {}): Promise<string> {
  const nowS = Math.floor(Date.now() / 1000);
  return signUserToken(
    { sub: userId, aud: options.audience ?? TEST_AUTH.audience, exp: nowS + (options.expiresInS ?? 600), iat: nowS },
    { kid: options.kid ?? TEST_AUTH.tokenKid, secret: options.secret ?? TEST_AUTH.tokenSecret },
  );
}

let clientCounter = 0;

/** Calls as a browser on the allowed origin with the publishable key, and the user's token when `token` is given. */
export function browserCall(path: string, init: RequestInit = {}, token?: string): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("X-Api-Key", TEST_AUTH.publishableKey);
  if (!headers.has("Origin")) headers.set("Origin", TEST_AUTH.origin);
  // Each call from its own client address unless the test names one: the suite's small rate limits count per client.
  if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", `198.18.${(++clientCounter >> 8) & 255}.${clientCounter & 255}`);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  return rawCall(path, { ...init, headers });
}

export function adminCall(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${ADMIN_KEY}`);
  return call(path, { ...init, headers });
}

export function postEvents(events: unknown[]): Promise<Response> {
  return call("/v1/events", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ events }) });
}

/** A fixture version's manifest: each blob referenced by its size and SHA-256, as a build writes it; `rest` overrides the other fields. */
export async function fixtureManifest(
  version: string,
  blobs: Record<string, { bytes: Uint8Array; contentType: string }>,
  rest: Partial<Pick<IndexManifest, "counts" | "fallbackItemIds">> = {},
): Promise<IndexManifest> {
  const refs: IndexManifest["blobs"] = {};
  for (const [name, blob] of Object.entries(blobs))
    refs[name] = { bytes: blob.bytes.byteLength, sha256: await sha256Hex(blob.bytes), contentType: blob.contentType };
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    version,
    builtAt: "2026-01-01T00:00:00.000Z",
    source: { dataset: "fixture", newestInteractionAt: "2026-01-01T00:00:00.000Z" },
    counts: { items: 0, users: 0, interactions: 0, categories: 0 },
    blobs: refs,
    fallbackItemIds: [],
    ...rest,
  };
}

export async function demoBuild(version: string, catalog = demoCatalog()) {
  const popularBytes = encodePopularBlob(demoPopular(catalog));
  const manifest = await fixtureManifest(
    version,
    { popular: { bytes: popularBytes, contentType: "application/json" } },
    { counts: { items: catalog.length, users: 0, interactions: 0, categories: 2 }, fallbackItemIds: catalog.map((c) => c.itemId) },
  );
  return { manifest, popularBytes, catalog };
}

/** Publishes a fixture version's blob and manifest, without its catalog rows and without making it live: what a catalog batch naming the version needs. */
export async function publishManifest(version: string, catalog = demoCatalog()): Promise<IndexManifest> {
  const { manifest, popularBytes } = await demoBuild(version, catalog);
  await expectOk(
    adminCall(`/admin/index/versions/${version}/blobs/popular`, {
      method: "PUT",
      headers: { "X-Content-Sha256": manifest.blobs.popular!.sha256, "Content-Type": "application/json" },
      body: popularBytes,
    }),
  );
  await expectOk(adminCall(`/admin/index/versions/${version}/manifest`, jsonInit("PUT", manifest)));
  return manifest;
}

/** Publishes a fixture version through the admin API, in publication order. */
export async function publishDemo(version: string, catalog = demoCatalog()): Promise<IndexManifest> {
  const manifest = await publishManifest(version, catalog);
  await expectOk(adminCall("/admin/catalog/items", jsonInit("POST", { items: catalog, indexVersion: version })));
  await expectOk(adminCall("/admin/index/current", jsonInit("PUT", { version })));
  return manifest;
}

/** Puts `catalog` in D1 outside any index version: events may refer only to catalog items. */
export async function seedCatalog(catalog = demoCatalog()): Promise<void> {
  await expectOk(adminCall("/admin/catalog/items", jsonInit("POST", { items: catalog })));
}

/** A whole catalog row for admin upserts: a drama of 2001 with one tag, available, `extra` over it. */
export const catalogRow = (id: string, extra: Record<string, unknown> = {}) => ({
  itemId: id,
  title: `Title ${id}`,
  categories: ["Drama"],
  year: 2001,
  tags: ["slow burn"],
  available: true,
  ...extra,
});

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

/** `target` whose listed methods throw, as a binding does when its service fails. */
export function failing<T extends object>(target: T, methods: readonly string[]): T {
  return new Proxy(target, {
    get(t, p) {
      if (methods.includes(p as string)) {
        return () => {
          throw new Error(`injected ${String(p)} failure`);
        };
      }
      const v = Reflect.get(t, p) as unknown;
      return typeof v === "function" ? (v as (...args: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/**
 * What the Worker does after its response (waitUntil: the Cache API store, the
 * session's impression counts) lands a little later: asks `probe` every 25 ms
 * until it answers something (not undefined, null or false), for up to 5 s,
 * then fails naming `what` never happened.
 */
export async function pollUntil<T>(what: string, probe: () => Promise<T | undefined | null | false>): Promise<T> {
  const answered = (answer: T | undefined | null | false): answer is T => answer !== undefined && answer !== null && answer !== false;
  const answer = await poll(probe, answered, 5_000, 25);
  if (!answered(answer)) throw new Error(`${what}: not within 5 s`);
  return answer;
}
