import { desc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { erasureReceipts, type ErasureReceiptRow } from "../../../shared/db/schema";
import { AppError } from "../../../shared/errors";
import { erasureTag, MIN_ERASURE_KEY_CHARS } from "../../../shared/privacy/erasure-tag";
import { mergedIdsKey } from "../../../shared/online/redis-keys";
import { redisFromEnv } from "../redis/redis-client";
import { eraseUserInRedis } from "../redis/user-erasure";
import { sessionStub } from "../session/session-stub";
import { CACHE_TTL_S } from "../list-cache/list-cache";
import { unavailable } from "../http/unavailable";

/** One store's part of an erasure: counts of what was removed, or a note on what happens next. */
export interface StoreErasure {
  store: "session" | "redis" | "builder-files" | "index" | "list-cache";
  removed?: Record<string, number>;
  status: "erased" | "disabled" | "pending" | "done" | "expires";
  note?: string;
}

/** What an operator audits: which stores were cleared of whom (by tag), when. */
export interface ErasureReceipt {
  receiptId: string;
  /** Keyed hash of the user id (shared/privacy/erasure-tag.ts). */
  subject: string;
  requestedAt: string;
  completedAt: string;
  stores: StoreErasure[];
  requestId: string | null;
}

/** The operator's erasure key, refusing to work without one: an erasure that cannot be recorded safely is not done. */
export function erasureKey(env: Env): string {
  const key = env.ERASURE_KEY ?? "";
  if (key.length < MIN_ERASURE_KEY_CHARS) {
    throw new AppError("dependency_unavailable", `erasure is not configured: ERASURE_KEY must be a secret of at least ${MIN_ERASURE_KEY_CHARS} characters`);
  }
  return key;
}

/**
 * Erases a user everywhere the Worker can reach, in this order: their
 * Durable Object (so nothing more of theirs is delivered to Redis), Redis
 * (stream and log entries, impression records, per-user keys, experiment
 * fields, and the tombstone the builder honours; the same for anonymous ids
 * merged into the user on login), then writes the receipt
 * to D1. A failure stops there with a 503: what was erased stays erased and
 * a retry (idempotent) finishes the rest. An unknown user gets a receipt
 * with zero counts.
 */
export async function eraseUser(env: Env, userId: string, requestId: string | null): Promise<ErasureReceipt> {
  const key = erasureKey(env);
  const subject = await erasureTag(key, userId);
  const requestedMs = Date.now();
  const session = await sessionStub(env, userId)
    .erase()
    .catch(unavailable("the user's session (its Durable Object)", "nothing was erased yet; retry the deletion"));
  const redis = redisFromEnv(env);
  let redisPart: StoreErasure = { store: "redis", status: "disabled", note: "Redis is not configured" };
  if (redis) {
    try {
      const removed: Record<string, number> = { ...(await eraseUserInRedis(redis, userId, subject, requestedMs)) };
      // Anonymous ids merged into this user on login: what Redis holds under them is theirs too.
      const merged = (await redis.lrange<string>(mergedIdsKey(userId), 0, -1)).map(String);
      for (const anonymousId of merged) {
        const part = await eraseUserInRedis(redis, anonymousId, await erasureTag(key, anonymousId), requestedMs);
        for (const [k, n] of Object.entries(part)) removed[k] = (removed[k] ?? 0) + n;
      }
      await redis.del(mergedIdsKey(userId));
      removed.mergedAnonymousIds = merged.length;
      redisPart = { store: "redis", status: "erased", removed };
    } catch (cause) {
      throw new AppError("dependency_unavailable", "the session was erased but Redis is unreachable; retry the deletion to finish it", undefined, { cause });
    }
  }
  const stores: StoreErasure[] = [
    { store: "session", status: "erased", removed: session },
    redisPart,
    {
      store: "builder-files",
      status: redis ? "pending" : "disabled",
      note: "the next ingest removes this user's events from the files it wrote and drops them from the stream",
    },
    { store: "index", status: redis ? "pending" : "disabled", note: "the next build that reads the erasure list trains without this user's rows" },
    { store: "list-cache", status: "expires", note: `lists cached for this user expire within ${CACHE_TTL_S} s` },
  ];
  const receipt: ErasureReceipt = {
    receiptId: crypto.randomUUID(),
    subject,
    requestedAt: new Date(requestedMs).toISOString(),
    completedAt: new Date().toISOString(),
    stores,
    requestId,
  };
  try {
    await drizzle(env.DB)
      .insert(erasureReceipts)
      .values({ ...receipt, requestedAt: requestedMs, completedAt: Date.parse(receipt.completedAt) });
  } catch (cause) {
    throw new AppError("dependency_unavailable", "the user was erased but the receipt could not be stored; retry the deletion to record it", undefined, {
      cause,
    });
  }
  return receipt;
}

/** Receipts, newest first: of one subject (tag) when given, else the latest `limit`. */
export async function readReceipts(db: D1Database, subject: string | null, limit: number): Promise<ErasureReceipt[]> {
  const query = drizzle(db).select().from(erasureReceipts);
  const rows = await (subject ? query.where(eq(erasureReceipts.subject, subject)) : query).orderBy(desc(erasureReceipts.requestedAt)).limit(limit);
  return rows.map(receiptOf);
}

export async function readReceipt(db: D1Database, receiptId: string): Promise<ErasureReceipt | null> {
  const row = await drizzle(db).select().from(erasureReceipts).where(eq(erasureReceipts.receiptId, receiptId)).get();
  return row ? receiptOf(row) : null;
}

function receiptOf(row: ErasureReceiptRow): ErasureReceipt {
  return {
    ...row,
    requestedAt: new Date(row.requestedAt).toISOString(),
    completedAt: new Date(row.completedAt).toISOString(),
    stores: row.stores as StoreErasure[],
  };
}
