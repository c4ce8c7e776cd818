import { Hono } from "hono";
import { catalogItemProblem, type CatalogItem, MAX_ITEMS_PER_UPSERT } from "../../../shared/catalog/catalog-item";
import { AppError } from "../../../shared/errors";
import { listBlobs, listVersions, readCurrentPointer, readManifest, readPointerHistory } from "../../../shared/index-format/index-reader";
import { deleteBlob, deleteVersion, KV_VALUE_LIMIT_BYTES, putBlob, putManifest, setCurrentVersion } from "../../../shared/index-format/index-writer";
import { blobKey, BLOB_NAME_PATTERN, SHA256_PATTERN, VERSION_PATTERN } from "../../../shared/index-format/keys";
import { indexVersionsOf } from "../../../shared/experiments/experiment-input";
import { isValidId } from "../../../shared/ids";
import { upsertCatalogItems } from "../catalog/d1-catalog";
import { putEditorial, putPolicy } from "../config/config-store";
import { missingBlobs, storeBlobBatch } from "../index-store/blob-batch";
import { listExperiments } from "../experiments/experiment-store";
import { forgetCurrentPointer } from "../index-store/index-cache";
import { adminAuth } from "../http/admin-auth";
import { type AppEnv } from "../http/app-env";
import { readBytes, readJson } from "../http/read-json";
import { readExperimentCounters } from "../redis/impressions";
import { METRICS_TTL_S, metricsKey, summarizeMetrics } from "../../../shared/metrics/request-metrics";
import { redisFromEnv } from "../redis/redis-client";
import { sessionStub } from "../session/session-stub";

const MAX_JSON_BYTES = 4 * 1024 * 1024;

/**
 * Publication API used by the index builder. Order matters and is enforced:
 * blobs, then the manifest (refused until every listed blob is present with
 * its checksum), then the current pointer (refused until the manifest exists).
 */
export const admin = new Hono<AppEnv>()
  .use(adminAuth())
  /** A blob by content address: the path names the SHA-256 its body must have. */
  .put("/index/blobs/:sha256", async (c) => {
    const sha256 = shaParam(c.req.param("sha256"));
    const bytes = await readBytes(c, KV_VALUE_LIMIT_BYTES);
    const contentType = c.req.header("content-type") ?? "application/octet-stream";
    const outcome = await putBlob(c.env.INDEX_KV, bytes, { sha256, contentType });
    return c.json({ outcome, bytes: bytes.byteLength }, outcome === "stored" ? 201 : 200);
  })
  /** Several blobs in one multipart body, each part named by its SHA-256 (worker/src/index-store/blob-batch.ts). */
  .post("/index/blobs", async (c) => c.json(await storeBlobBatch(c), 201))
  /** `{"sha256": [...]}` -> `{"missing": [...]}`: what an upload still has to send. */
  .post("/index/blobs/missing", async (c) => c.json(await missingBlobs(c)))
  /** Stored blobs, a page (at most 1000) at a time: `?cursor=` from the previous page. */
  .get("/index/blobs", async (c) => {
    const cursor = new URL(c.req.url).searchParams.get("cursor");
    if (cursor !== null && (cursor.length === 0 || cursor.length > 1024)) throw new AppError("invalid_request", "cursor must come from the previous page");
    return c.json(await listBlobs(c.env.INDEX_KV, cursor));
  })
  .get("/index/blobs/:sha256", async (c) => {
    const sha256 = shaParam(c.req.param("sha256"));
    const bytes = await c.env.INDEX_KV.get(blobKey(sha256), "arrayBuffer");
    if (bytes === null) throw new AppError("not_found", `no blob ${sha256}`);
    return c.body(bytes, 200, { "Content-Type": "application/octet-stream" });
  })
  /** Garbage collection: refused for a blob the current version, or one a draft or running experiment pins, lists. */
  .delete("/index/blobs/:sha256", async (c) => {
    await deleteBlob(c.env.INDEX_KV, shaParam(c.req.param("sha256")), await pinnedVersions(c.env.DB));
    return c.json({ deleted: true });
  })
  /** The upload route of builders before content addressing: same storage, the name is only checked. */
  .put("/index/versions/:version/blobs/:name", async (c) => {
    const sha256 = c.req.header("x-content-sha256");
    if (!sha256 || !/^[0-9a-fA-F]{64}$/.test(sha256)) {
      throw new AppError("invalid_request", "send the blob's hex SHA-256 in the X-Content-Sha256 header");
    }
    const version = versionParam(c.req.param("version"));
    const name = c.req.param("name");
    if (!BLOB_NAME_PATTERN.test(name)) throw new AppError("invalid_request", `blob name "${name}" is not allowed`);
    // A published version is immutable: it takes again only the blobs its manifest lists, with their checksums.
    const published = await readManifest(c.env.INDEX_KV, version);
    const listed = published?.blobs[name];
    if (published && listed?.sha256 !== sha256.toLowerCase()) {
      const why = listed ? `lists blob "${name}" with another checksum` : `lists no blob "${name}"`;
      throw new AppError("version_conflict", `version ${version} is published and immutable: its manifest ${why}`, { version, name });
    }
    const bytes = await readBytes(c, KV_VALUE_LIMIT_BYTES);
    const contentType = c.req.header("content-type") ?? "application/octet-stream";
    const outcome = await putBlob(c.env.INDEX_KV, bytes, { sha256, contentType });
    return c.json({ outcome, bytes: bytes.byteLength }, outcome === "stored" ? 201 : 200);
  })
  .get("/index/versions", async (c) => {
    const kv = c.env.INDEX_KV;
    const [versions, current, history] = await Promise.all([listVersions(kv), readCurrentPointer(kv), readPointerHistory(kv)]);
    return c.json({ versions, current: current?.version ?? null, history });
  })
  .get("/index/versions/:version/manifest", async (c) => {
    const manifest = await readManifest(c.env.INDEX_KV, versionParam(c.req.param("version")));
    if (!manifest) throw new AppError("not_found", `index version ${c.req.param("version")} has no manifest`);
    return c.json(manifest);
  })
  /** Garbage collection: refused for the current version and those a draft or running experiment pins. */
  .delete("/index/versions/:version", async (c) => {
    await deleteVersion(c.env.INDEX_KV, versionParam(c.req.param("version")), await pinnedVersions(c.env.DB));
    return c.json({ deleted: true });
  })
  .put("/index/versions/:version/manifest", async (c) => {
    const body = await readJson(c, MAX_JSON_BYTES);
    const version = c.req.param("version");
    if ((body as { version?: unknown } | null)?.version !== version) {
      throw new AppError("invalid_manifest", `manifest version must equal the version in the path (${version})`);
    }
    const manifest = await putManifest(c.env.INDEX_KV, body);
    return c.json({ version: manifest.version, blobs: Object.keys(manifest.blobs) }, 201);
  })
  .get("/index/current", async (c) => {
    const pointer = await readCurrentPointer(c.env.INDEX_KV);
    if (!pointer) throw new AppError("index_not_published", "no index has been published yet");
    return c.json(pointer);
  })
  .put("/index/current", async (c) => {
    const body = (await readJson(c, 1024)) as { version?: unknown } | null;
    if (typeof body?.version !== "string") throw new AppError("invalid_request", 'send {"version": "<published version>"}');
    const pointer = await setCurrentVersion(c.env.INDEX_KV, body.version, new Date());
    forgetCurrentPointer();
    return c.json(pointer);
  })
  .post("/catalog/items", async (c) => {
    const body = (await readJson(c, MAX_JSON_BYTES)) as { items?: unknown; indexVersion?: unknown } | null;
    const list = body?.items;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_ITEMS_PER_UPSERT) {
      throw new AppError("invalid_item", `send {"items": [...]} with 1 to ${MAX_ITEMS_PER_UPSERT} items`);
    }
    const indexVersion = body?.indexVersion ?? null;
    if (indexVersion !== null && (typeof indexVersion !== "string" || !VERSION_PATTERN.test(indexVersion))) {
      throw new AppError("invalid_item", "indexVersion must be a version string or absent");
    }
    for (let i = 0; i < list.length; i++) {
      const problem = catalogItemProblem(list[i]);
      if (problem) throw new AppError("invalid_item", `items[${i}].${problem}; nothing was written`, { index: i });
    }
    const upserted = await upsertCatalogItems(c.env.DB, list as CatalogItem[], indexVersion, Date.now());
    return c.json({ upserted });
  })
  /** Editorial lists per surface and region: `{"home": {"default": ["id", ...], "us": [...]}}`. */
  .put("/config/editorial", async (c) => {
    await putEditorial(c.env.INDEX_KV, await readJson(c, MAX_JSON_BYTES));
    return c.json({ stored: true });
  })
  /** Re-ranking knobs and business rules per surface (`default` for all): see shared/ranking/policy/policy-config.ts. */
  .put("/config/policy", async (c) => {
    await putPolicy(c.env.INDEX_KV, await readJson(c, MAX_JSON_BYTES));
    return c.json({ stored: true });
  })
  /** A user's stored event ids and undelivered outbox size, events and impressions (audits, the events benchmark). */
  .get("/users/:id/events", async (c) => {
    const userId = c.req.param("id");
    if (!isValidId(userId)) throw new AppError("invalid_request", "user id must be 1-128 characters of A-Z a-z 0-9 _ . : @ -");
    const stub = sessionStub(c.env, userId);
    const [eventIds, pendingOutbox, pendingImpressions] = await Promise.all([stub.eventIds(), stub.pendingOutbox(), stub.pendingImpressions()]);
    return c.json({ userId, eventIds, pendingOutbox, pendingImpressions });
  })
  /** Request metrics of the last `minutes` (default 60, at most 2 days): latency percentiles, error, degraded and cache-hit shares per route, heavy-ranker share, CTR per surface. */
  .get("/metrics", async (c) => {
    const raw = new URL(c.req.url).searchParams.get("minutes") ?? "60";
    const minutes = Number(raw);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > METRICS_TTL_S / 60)
      throw new AppError("invalid_request", `minutes must be an integer from 1 to ${METRICS_TTL_S / 60}`);
    const redis = redisFromEnv(c.env);
    if (!redis)
      throw new AppError("dependency_unavailable", "Redis is not configured; the per-minute metrics live there (Analytics Engine holds them on Cloudflare)");
    const now = Math.floor(Date.now() / 60_000);
    const pipeline = redis.pipeline();
    for (let m = now - minutes + 1; m <= now; m++) pipeline.hgetall(metricsKey(m));
    const hashes = (await pipeline.exec()) as (Record<string, number | string> | null)[];
    const summary = summarizeMetrics(hashes.map((h) => Object.fromEntries(Object.entries(h ?? {}).map(([f, n]) => [f, Number(n)]))));
    return c.json(summary);
  })
  /** Impressions and attributed events per type for a variant in a region. */
  .get("/experiments/:variant/counters", async (c) => {
    const variant = c.req.param("variant");
    const region = new URL(c.req.url).searchParams.get("region") ?? "global";
    if (!isValidId(variant) || !/^([a-z]{2}|global)$/.test(region)) {
      throw new AppError("invalid_request", "variant must be an id and region a lower-case country code or global");
    }
    const redis = redisFromEnv(c.env);
    if (!redis) throw new AppError("dependency_unavailable", "Redis is not configured; experiment counters live there");
    const counters = await readExperimentCounters(redis, variant, region).catch((cause: unknown) => {
      throw new AppError("dependency_unavailable", "Redis, where experiment counters live, cannot be reached; retry", { retryAfterS: 5 }, { cause });
    });
    return c.json({ variant, region, counters });
  });

/** Index versions a draft or running experiment's variant pins: garbage collection must spare them. */
async function pinnedVersions(db: D1Database): Promise<string[]> {
  return (await listExperiments(db, ["draft", "running"])).flatMap(indexVersionsOf);
}

function shaParam(value: string): string {
  if (!SHA256_PATTERN.test(value)) throw new AppError("invalid_request", "a blob is named by its lower-case hex SHA-256");
  return value;
}

function versionParam(value: string): string {
  if (!VERSION_PATTERN.test(value)) throw new AppError("invalid_request", "index version must be 1-64 characters of A-Z a-z 0-9 . _ -");
  return value;
}
