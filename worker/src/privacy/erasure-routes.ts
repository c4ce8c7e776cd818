import { Hono } from "hono";
import { AppError } from "../../../shared/errors";
import { readCurrentPointer, readManifest } from "../../../shared/index-format/index-reader";
import { ERASURE_APPLIED_KEY } from "../../../shared/online/redis-keys";
import { type IndexManifest } from "../../../shared/index-format/manifest";
import { erasureTag } from "../../../shared/privacy/erasure-tag";
import { indexErasure } from "../../../shared/privacy/index-erasure";
import { adminAuth } from "../http/admin-auth";
import { type AppEnv } from "../http/app-env";
import { erasuresQuery, erasuresQueryError, receiptParam } from "../http/schemas/erasures";
import { validParams, validQuery } from "../http/schemas/validate";
import { redisFromEnv } from "../redis/redis-client";
import { erasureKey, type ErasureReceipt, readReceipt, readReceipts } from "./erase-user";
import { unavailable } from "../http/unavailable";

/** What the builder reports per erasure (index-builder/src/ingest/erasures.ts). */
interface BuilderProgress {
  appliedAtMs: number;
  linesRemoved: number;
}

/**
 * Erasure receipts for operators: `GET /admin/erasures?user=<id>` (the id is
 * turned into its tag here and not stored), `GET /admin/erasures` (latest),
 * `GET /admin/erasures/:receiptId`. The stored receipt is completed with the
 * builder's progress: when its ingest scrubbed the user's events from its
 * files, and whether the live index's build read the erasure list after
 * this erasure (its manifest's `erasureList`), and so left the user out.
 */
export const erasuresAdmin = new Hono<AppEnv>()
  .use(adminAuth())
  .get("/", validQuery(erasuresQuery, erasuresQueryError), async (c) => {
    const { user, limit } = c.req.valid("query");
    const subject = user === undefined ? null : await erasureTag(erasureKey(c.env), user);
    const receipts = await readReceipts(c.env.DB, subject, limit).catch(unavailable("the receipts store (D1)", "retry"));
    return c.json({ receipts: await withBuilderProgress(c.env, receipts) });
  })
  .get("/:receiptId", validParams(receiptParam, erasuresQueryError), async (c) => {
    const receipt = await readReceipt(c.env.DB, c.req.valid("param").receiptId).catch(unavailable("the receipts store (D1)", "retry"));
    if (!receipt) throw new AppError("not_found", "no erasure receipt with this id");
    return c.json((await withBuilderProgress(c.env, [receipt]))[0]);
  });

async function withBuilderProgress(env: Env, receipts: ErasureReceipt[]): Promise<ErasureReceipt[]> {
  const redis = redisFromEnv(env);
  if (!redis || receipts.length === 0) return receipts;
  let progress: (BuilderProgress | null)[];
  let live: IndexManifest | null = null;
  try {
    const found = (await redis.hmget<Record<string, unknown>>(ERASURE_APPLIED_KEY, ...receipts.map((r) => r.subject))) ?? {};
    progress = receipts.map((r) => progressOf(found[r.subject]));
    const pointer = await readCurrentPointer(env.INDEX_KV);
    live = pointer ? await readManifest(env.INDEX_KV, pointer.version) : null;
  } catch {
    return receipts.map((r) => ({ ...r, builderProgress: "unknown: Redis or the index store is unreachable" }));
  }
  return receipts.map((r, i) => {
    const done = progress[i];
    const scrubbed = done && done.appliedAtMs >= Date.parse(r.requestedAt) ? done : null;
    return {
      ...r,
      stores: r.stores.map((s) => {
        if (s.store === "builder-files" && scrubbed)
          return { ...s, status: "done", removed: { lines: scrubbed.linesRemoved }, note: `scrubbed at ${new Date(scrubbed.appliedAtMs).toISOString()}` };
        // Whether the live index left them out: its build read the erasure list after this erasure (shared/privacy/index-erasure.ts).
        if (s.store === "index" && s.status !== "disabled" && live) return { ...s, ...indexErasure(r.completedAt, live) };
        return s;
      }),
    };
  });
}

/** The builder's JSON, as the client hands it back (parsed already, or a string). */
function progressOf(value: unknown): BuilderProgress | null {
  if (typeof value === "string") {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return null;
    }
  }
  const p = value as Partial<BuilderProgress> | null | undefined;
  return typeof p?.appliedAtMs === "number" && typeof p.linesRemoved === "number" ? (p as BuilderProgress) : null;
}
