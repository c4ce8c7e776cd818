import { Hono } from "hono";
import { AppError } from "../../../shared/errors";
import { fetchCatalogFacts } from "../catalog/d1-catalog";
import { adminAuth } from "../http/admin-auth";
import { type AppEnv } from "../http/app-env";
import { auditUserParam } from "../http/schemas/admin-config";
import { historyBatchBody, historyBatchError } from "../http/schemas/histories";
import { indexInputError } from "../http/schemas/admin";
import { validJson, validParams } from "../http/schemas/validate";
import { sessionStub } from "../session/session-stub";
import { unavailable } from "../http/unavailable";

/** 5,000 items of ~70 bytes with their users: a few hundred KB. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Seeded histories (shared/users/history.ts): what a team's users did before
 * the Worker knew them, from the log the index was trained on
 * (`index-builder seed-histories`), so that a returning user's first list is
 * already theirs. `POST /admin/histories` replaces the listed users'
 * histories; `GET /admin/histories/:id` reads one back.
 */
export const historiesAdmin = new Hono<AppEnv>()
  .use(adminAuth())
  .post("/", validJson(historyBatchBody, MAX_BODY_BYTES, historyBatchError), async (c) => {
    const users = c.req.valid("json");
    const itemIds = [...new Set(users.flatMap((u) => u.items.map((x) => x.itemId)))];
    // Read now, past the isolate's memo: an item added since its last read is found.
    const facts = await fetchCatalogFacts(c.env.DB, itemIds).catch((cause: unknown) => {
      throw new AppError(
        "dependency_unavailable",
        "the catalog could not be read to check the items; nothing was stored; retry",
        { retryAfterS: 5 },
        { cause },
      );
    });
    users.forEach((user, u) =>
      user.items.forEach((x, i) => {
        if (!facts.has(x.itemId)) {
          const field = `users[${u}].items[${i}].itemId`;
          throw new AppError("invalid_history", `${field}: item ${x.itemId} is not in the catalog; nothing was stored`, { field, index: u });
        }
      }),
    );
    const outcomes = await Promise.allSettled(
      users.map(async ({ userId, items }) => {
        const itemCategories = Object.fromEntries(items.map((x) => [x.itemId, facts.get(x.itemId)!.categories]));
        return { userId, ...(await sessionStub(c.env, userId).replaceHistory(items, itemCategories)) };
      }),
    );
    const failed = users.filter((_, k) => outcomes[k]!.status === "rejected").map((u) => u.userId);
    if (failed.length > 0) {
      const stored = users.filter((_, k) => outcomes[k]!.status === "fulfilled").map((u) => u.userId);
      console.warn(JSON.stringify({ level: "warn", requestId: c.get("requestId"), message: "sessions unavailable for histories", failed: failed.length }));
      throw new AppError(
        "dependency_unavailable",
        `the sessions of ${failed.length} of ${users.length} users could not be reached; resend the batch (a history is replaced whole, so resending is safe)`,
        { retryAfterS: 1, failed, stored },
      );
    }
    const written = outcomes.map((o) => (o as PromiseFulfilledResult<{ userId: string; items: number; sessionVersion: number }>).value);
    return c.json({ users: written, items: written.reduce((n, w) => n + w.items, 0) });
  })
  .get("/:id", validParams(auditUserParam, indexInputError), async (c) => {
    const userId = c.req.valid("param").id;
    const { items, seededAtMs } = await sessionStub(c.env, userId).history().catch(unavailable("the user's session (its Durable Object)", "retry"));
    return c.json({ userId, items, seededAt: seededAtMs === null ? null : new Date(seededAtMs).toISOString() });
  });
