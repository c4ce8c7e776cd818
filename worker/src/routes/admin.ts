import { Hono } from "hono";
import { AppError } from "../../../shared/errors";
import { listBlobs, listVersions, readCurrentPointer, readManifest, readPointerHistory } from "../../../shared/index-format/index-reader";
import { deleteBlob, deleteVersion, KV_VALUE_LIMIT_BYTES, putBlob, putManifest, setCurrentVersion } from "../../../shared/index-format/index-writer";
import { blobKey } from "../../../shared/index-format/keys";
import { indexVersionsOf } from "../../../shared/experiments/experiment-input";
import { upsertCatalogItems } from "../catalog/d1-catalog";
import { putEditorial, putPolicy, storedEditorial, storedPolicy } from "../config/config-store";
import { DEFAULT_POLICY } from "../../../shared/ranking/policy/policy-config";
import { missingBlobs, storeBlobBatch } from "../index-store/blob-batch";
import { listExperiments } from "../experiments/experiment-store";
import { forgetCurrentPointer } from "../index-store/index-cache";
import { adminAuth } from "../http/admin-auth";
import { type AppEnv } from "../http/app-env";
import { readBytes } from "../http/read-json";
import {
  blobsQuery,
  contentShaHeader,
  currentBody,
  indexInputError,
  manifestBody,
  manifestError,
  missingBody,
  samePathVersion,
  sha256Param,
  versionBlobParams,
  versionBlobParamsError,
  versionParam,
} from "../http/schemas/admin";
import {
  auditUserParam,
  catalogItemsBody,
  catalogItemsError,
  countersQuery,
  editorialBody,
  editorialError,
  metricsQuery,
  policyBody,
  policyError,
  variantParam,
} from "../http/schemas/admin-config";
import { validHeader, validJson, validParams, validQuery } from "../http/schemas/validate";
import { readExperimentCounters, readExperimentCountersByRegion, sumCounters } from "../redis/impressions";
import { metricsKey, summarizeMetrics } from "../../../shared/metrics/request-metrics";
import { counterHash, redisFromEnv } from "../redis/redis-client";
import { sessionStub } from "../session/session-stub";
import { unavailable } from "../http/unavailable";

const MAX_JSON_BYTES = 4 * 1024 * 1024;
/** The header first, then the path: the order clients have always been told their problems in. */
const versionBlobInput = [validHeader(contentShaHeader, indexInputError), validParams(versionBlobParams, versionBlobParamsError)] as const;

/**
 * Publication API used by the index builder. Order matters and is enforced:
 * blobs, then the manifest (refused until every listed blob is present with
 * its checksum), then the current pointer (refused until the manifest exists).
 */
export const admin = new Hono<AppEnv>()
  .use(adminAuth())
  /** A blob by content address: the path names the SHA-256 its body must have. */
  .put("/index/blobs/:sha256", validParams(sha256Param, indexInputError), async (c) => {
    const sha256 = c.req.valid("param").sha256;
    const bytes = await readBytes(c, KV_VALUE_LIMIT_BYTES);
    const contentType = c.req.header("content-type") ?? "application/octet-stream";
    const outcome = await putBlob(c.env.INDEX_KV, bytes, { sha256, contentType });
    return c.json({ outcome, bytes: bytes.byteLength }, outcome === "stored" ? 201 : 200);
  })
  /** Several blobs in one multipart body, each part named by its SHA-256 (worker/src/index-store/blob-batch.ts). */
  .post("/index/blobs", async (c) => c.json(await storeBlobBatch(c), 201))
  /** `{"sha256": [...]}` -> `{"missing": [...]}`: what an upload still has to send. */
  .post("/index/blobs/missing", validJson(missingBody, MAX_JSON_BYTES, indexInputError), async (c) => c.json(await missingBlobs(c, c.req.valid("json").sha256)))
  /** Stored blobs, a page (at most 1000) at a time: `?cursor=` from the previous page. */
  .get("/index/blobs", validQuery(blobsQuery, indexInputError), async (c) => c.json(await listBlobs(c.env.INDEX_KV, c.req.valid("query").cursor ?? null)))
  .get("/index/blobs/:sha256", validParams(sha256Param, indexInputError), async (c) => {
    const sha256 = c.req.valid("param").sha256;
    const bytes = await c.env.INDEX_KV.get(blobKey(sha256), "arrayBuffer");
    if (bytes === null) throw new AppError("not_found", `no blob ${sha256}`);
    return c.body(bytes, 200, { "Content-Type": "application/octet-stream" });
  })
  /** Garbage collection: refused for a blob the current version, or one a draft or running experiment pins, lists. */
  .delete("/index/blobs/:sha256", validParams(sha256Param, indexInputError), async (c) => {
    await deleteBlob(c.env.INDEX_KV, c.req.valid("param").sha256, await pinnedVersions(c.env.DB));
    return c.json({ deleted: true as const });
  })
  /** The upload route of builders before content addressing: same storage, the name is only checked. */
  .put("/index/versions/:version/blobs/:name", ...versionBlobInput, async (c) => {
    const sha256 = c.req.valid("header")["x-content-sha256"];
    const { version, name } = c.req.valid("param");
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
  .get("/index/versions/:version/manifest", validParams(versionParam, indexInputError), async (c) => {
    const { version } = c.req.valid("param");
    const manifest = await readManifest(c.env.INDEX_KV, version);
    if (!manifest) throw new AppError("not_found", `index version ${version} has no manifest`);
    return c.json(manifest);
  })
  /** Garbage collection: refused for the current version and those a draft or running experiment pins. */
  .delete("/index/versions/:version", validParams(versionParam, indexInputError), async (c) => {
    await deleteVersion(c.env.INDEX_KV, c.req.valid("param").version, await pinnedVersions(c.env.DB));
    return c.json({ deleted: true as const });
  })
  .put("/index/versions/:version/manifest", validParams(versionParam, manifestError), validJson(manifestBody, MAX_JSON_BYTES, manifestError), async (c) => {
    const body = c.req.valid("json");
    const manifest = await putManifest(c.env.INDEX_KV, samePathVersion(body, c.req.valid("param").version));
    return c.json({ version: manifest.version, blobs: Object.keys(manifest.blobs) }, 201);
  })
  .get("/index/current", async (c) => {
    const pointer = await readCurrentPointer(c.env.INDEX_KV);
    if (!pointer) throw new AppError("index_not_published", "no index has been published yet");
    return c.json(pointer);
  })
  .put("/index/current", validJson(currentBody, 1024, indexInputError), async (c) => {
    const pointer = await setCurrentVersion(c.env.INDEX_KV, c.req.valid("json").version, new Date());
    forgetCurrentPointer();
    return c.json(pointer);
  })
  /** All or nothing: each item once (a repeat would leave the last copy silently); `indexVersion` a published version. */
  .post("/catalog/items", validJson(catalogItemsBody, MAX_JSON_BYTES, catalogItemsError), async (c) => {
    const { items, indexVersion, catalogAsOf } = c.req.valid("json");
    assertEachItemOnce(items);
    // The version marks the rows as built into an index (not fresh): one never published would hide them from the fresh source.
    if (indexVersion && !(await readManifest(c.env.INDEX_KV, indexVersion))) {
      throw new AppError(
        "unknown_index_version",
        `index version "${indexVersion}" is not published (no manifest): a publication sends its manifest before its catalog rows, and an operator's edit leaves indexVersion out; nothing was written`,
        { field: "indexVersion" },
      );
    }
    const publication = indexVersion ? { indexVersion, ...(catalogAsOf === undefined ? {} : { catalogAsOfMs: catalogAsOf }) } : null;
    const upserted = await upsertCatalogItems(c.env.DB, items, publication, Date.now());
    return c.json({ upserted });
  })
  /** The editorial lists as stored, from KV (`stored: false` and `{}` when none ever was). */
  .get("/config/editorial", async (c) => {
    const { stored, value } = await storedEditorial(c.env.INDEX_KV);
    return c.json({ stored, editorial: value });
  })
  /** The policy overrides as stored, from KV (`stored: false` and `{}` when none ever was), and the defaults they apply over. */
  .get("/config/policy", async (c) => {
    const { stored, value } = await storedPolicy(c.env.INDEX_KV);
    return c.json({ stored, policy: value, defaults: DEFAULT_POLICY });
  })
  /** Editorial lists per surface and region: `{"home": {"default": ["id", ...], "us": [...]}}`. */
  .put("/config/editorial", validJson(editorialBody, MAX_JSON_BYTES, editorialError), async (c) => {
    await putEditorial(c.env.INDEX_KV, c.req.valid("json"));
    return c.json({ stored: true as const });
  })
  /** Re-ranking knobs and business rules per surface (`default` for all): see shared/ranking/policy/policy-config.ts. */
  .put("/config/policy", validJson(policyBody, MAX_JSON_BYTES, policyError), async (c) => {
    await putPolicy(c.env.INDEX_KV, c.req.valid("json"));
    return c.json({ stored: true as const });
  })
  /** A user's stored event ids and undelivered outbox size, events and impressions (audits, the events benchmark). */
  .get("/users/:id/events", validParams(auditUserParam, indexInputError), async (c) => {
    const userId = c.req.valid("param").id;
    const stub = sessionStub(c.env, userId);
    const [eventIds, pendingOutbox, pendingImpressions] = await Promise.all([stub.eventIds(), stub.pendingOutbox(), stub.pendingImpressions()]).catch(
      unavailable("the user's session (its Durable Object)", "retry"),
    );
    return c.json({ userId, eventIds, pendingOutbox, pendingImpressions });
  })
  /** Request metrics of the last `minutes` (default 60, at most 2 days): latency percentiles, error, degraded and cache-hit shares per route, heavy-ranker share, CTR per surface. */
  .get("/metrics", validQuery(metricsQuery, indexInputError), async (c) => {
    const { minutes } = c.req.valid("query");
    const redis = redisFromEnv(c.env);
    if (!redis)
      throw new AppError("dependency_unavailable", "Redis is not configured; the per-minute metrics live there (Analytics Engine holds them on Cloudflare)");
    const now = Math.floor(Date.now() / 60_000);
    const pipeline = redis.pipeline();
    for (let m = now - minutes + 1; m <= now; m++) pipeline.hgetall(metricsKey(m));
    const read = pipeline.exec() as Promise<(Record<string, number | string> | null)[]>;
    const hashes = await read.catch(unavailable("Redis, where the per-minute metrics live", "retry"));
    const summary = summarizeMetrics(hashes.map(counterHash));
    return c.json(summary);
  })
  /** Impressions and attributed events per type for a variant label in a region, or summed over every region (`all`, the default). */
  .get("/experiments/:variant/counters", validParams(variantParam, indexInputError), validQuery(countersQuery, indexInputError), async (c) => {
    const { variant } = c.req.valid("param");
    const { region } = c.req.valid("query");
    const redis = redisFromEnv(c.env);
    if (!redis) throw new AppError("dependency_unavailable", "Redis is not configured; experiment counters live there");
    const unreachable = (cause: unknown) => {
      throw new AppError("dependency_unavailable", "Redis, where experiment counters live, cannot be reached; retry", { retryAfterS: 5 }, { cause });
    };
    if (region !== "all") return c.json({ variant, region, counters: await readExperimentCounters(redis, variant, region).catch(unreachable) });
    const regions = await readExperimentCountersByRegion(redis, variant).catch(unreachable);
    return c.json({ variant, region, counters: sumCounters(regions), regions });
  });

/** 400 `invalid_item` naming the first item id a batch repeats and both its positions. */
function assertEachItemOnce(items: readonly { itemId: string }[]): void {
  const seen = new Map<string, number>();
  for (const [index, { itemId }] of items.entries()) {
    const first = seen.get(itemId);
    if (first !== undefined) {
      throw new AppError("invalid_item", `items[${index}].itemId "${itemId}" repeats items[${first}]: send each item once; nothing was written`, {
        index,
        firstIndex: first,
        itemId,
      });
    }
    seen.set(itemId, index);
  }
}

/** Index versions a draft or running experiment's variant pins: garbage collection must spare them. */
async function pinnedVersions(db: D1Database): Promise<string[]> {
  return (await listExperiments(db, ["draft", "running"])).flatMap(indexVersionsOf);
}
