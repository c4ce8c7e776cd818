import { AppError } from "../errors";
import { isObject } from "../is-object";
import { MAX_FUTURE_SKEW_MS } from "../events/event";
import { parseTimestamp, timestampMessage } from "../events/event-schema";
import { idFieldMessage, isValidId } from "../ids";

/**
 * A user's history from before the Worker knew them: the (user, item) pairs
 * of the log an index was trained on, each with the weight training gave it.
 * Seeded into the user's session (`POST /admin/histories`), it is what the
 * request-time fold-in, co-visitation seeds, the seen filter and category
 * affinities read until live events take over, exactly as the builder's
 * evaluation reads a user's training rows. It is not an event: it never
 * reaches the event stream (the log already holds it), trending or
 * experiment counters.
 */
export interface HistoryItem {
  itemId: string;
  /** The signed weight the index trained this pair with (shared/embeddings/event-weights.ts's scale; negative: disliked; 0: seen, no preference). */
  weight: number;
  /** When the pair was last met; absent in a log without times (the seeding then stands for it). */
  timestampMs?: number;
}

export interface UserHistory {
  userId: string;
  /** Oldest first: by timestamp when the items have them, in the order given otherwise and on ties. */
  items: HistoryItem[];
}

/** Most items one user's history holds: the session's own cap on what it keeps (worker/src/session/schema.ts MAX_SESSION_EVENTS). */
export const MAX_HISTORY_ITEMS = 2000;
/** Most users one request seeds. */
export const MAX_HISTORY_USERS = 200;
/** Most items of all users in one request: well within the 1 MiB body limit, and the catalog check stays ~56 D1 queries. */
export const MAX_HISTORY_BATCH_ITEMS = 5000;
/** Largest |weight|: far above any transform's (a rating gives ±3, log(1 + plays/ε) stays under 20). */
export const MAX_HISTORY_WEIGHT = 100;

const BODY_RULE = `send {"users": [{"userId": "...", "items": [{"itemId": "...", "weight": 1.5, "timestamp": 1700000000000}, ...]}, ...]} with 1 to ${MAX_HISTORY_USERS} users`;

const fail = (message: string, field: string, index?: number): never => {
  throw new AppError("invalid_history", `${message}; nothing was stored`, { field, ...(index === undefined ? {} : { index }) });
};

/**
 * Checks a `POST /admin/histories` body, all or nothing, and returns each
 * user's items oldest first. The first problem is thrown as a 400
 * `invalid_history` naming the field (`users[2].items[7].weight`) and the
 * user's index: unknown fields, ids, a user listed twice, an item listed
 * twice for one user (send the pair once with its summed weight), a weight
 * that is not finite or past ±MAX_HISTORY_WEIGHT (zero is seen, with no
 * preference either way), a timestamp that is
 * not epoch ms or ISO-8601 or lies in the future, a user mixing dated and
 * undated items, and the per-user and per-request caps.
 */
export function parseHistoryBatch(body: unknown, nowMs = Date.now()): UserHistory[] {
  if (!isObject(body)) return fail(BODY_RULE, "users");
  for (const key of Object.keys(body)) if (key !== "users") fail(`${key}: unknown field (allowed: users)`, key);
  const users = body.users;
  if (!Array.isArray(users) || users.length === 0 || users.length > MAX_HISTORY_USERS) return fail(BODY_RULE, "users");
  const seenUsers = new Set<string>();
  let total = 0;
  return users.map((user: unknown, u) => {
    const at = `users[${u}]`;
    if (!isObject(user)) return fail(`${at}: must be an object with userId and items`, at, u);
    for (const key of Object.keys(user))
      if (key !== "userId" && key !== "items") fail(`${at}.${key}: unknown field (allowed: userId, items)`, `${at}.${key}`, u);
    if (!isValidId(user.userId)) return fail(`${at}.userId: ${idFieldMessage({ input: user.userId })}`, `${at}.userId`, u);
    if (seenUsers.has(user.userId)) fail(`${at}.userId: user ${user.userId} is listed twice`, `${at}.userId`, u);
    seenUsers.add(user.userId);
    const items = user.items;
    if (!Array.isArray(items) || items.length > MAX_HISTORY_ITEMS) {
      return fail(`${at}.items: an array of at most ${MAX_HISTORY_ITEMS} items (the newest of a longer history; [] clears it)`, `${at}.items`, u);
    }
    total += items.length;
    if (total > MAX_HISTORY_BATCH_ITEMS) fail(`users: at most ${MAX_HISTORY_BATCH_ITEMS} items in all per request; send the rest in another`, "users", u);
    const seenItems = new Set<string>();
    const parsed = items.map((item: unknown, i) => {
      const where = `${at}.items[${i}]`;
      if (!isObject(item)) return fail(`${where}: must be an object with itemId, weight and an optional timestamp`, where, u);
      for (const key of Object.keys(item)) {
        if (key !== "itemId" && key !== "weight" && key !== "timestamp")
          fail(`${where}.${key}: unknown field (allowed: itemId, weight, timestamp)`, `${where}.${key}`, u);
      }
      if (!isValidId(item.itemId)) return fail(`${where}.itemId: ${idFieldMessage({ input: item.itemId })}`, `${where}.itemId`, u);
      if (seenItems.has(item.itemId))
        fail(`${where}.itemId: item ${item.itemId} is listed twice for this user (send each pair once, with its summed weight)`, `${where}.itemId`, u);
      seenItems.add(item.itemId);
      const weight = item.weight;
      if (typeof weight !== "number" || !Number.isFinite(weight) || Math.abs(weight) > MAX_HISTORY_WEIGHT) {
        fail(
          `${where}.weight: a number from -${MAX_HISTORY_WEIGHT} to ${MAX_HISTORY_WEIGHT} (the weight the index trained the pair with)`,
          `${where}.weight`,
          u,
        );
      }
      if (item.timestamp === undefined) return { itemId: item.itemId, weight: weight as number };
      const timestampMs = parseTimestamp(item.timestamp);
      if (timestampMs === null) return fail(`${where}.timestamp: ${timestampMessage({ input: item.timestamp })}`, `${where}.timestamp`, u);
      if (timestampMs > nowMs + MAX_FUTURE_SKEW_MS) fail(`${where}.timestamp: lies more than 5 minutes in the future`, `${where}.timestamp`, u);
      return { itemId: item.itemId, weight: weight as number, timestampMs };
    });
    const dated = parsed.filter((x) => x.timestampMs !== undefined).length;
    if (dated > 0 && dated < parsed.length) fail(`${at}.items: give every item a timestamp or none`, `${at}.items`, u);
    // Oldest first; a stable sort keeps the order given on equal times.
    if (dated > 0) parsed.sort((a, b) => a.timestampMs! - b.timestampMs!);
    return { userId: user.userId, items: parsed };
  });
}
