import * as v from "valibot";
import { isObject } from "../../../../shared/is-object";
import { AppError } from "../../../../shared/errors";
import { MAX_HISTORY_BATCH_ITEMS, MAX_HISTORY_ITEMS, MAX_HISTORY_USERS, MAX_HISTORY_WEIGHT, parseHistoryBatch } from "../../../../shared/users/history";
import { documentedAs } from "../../../../shared/schema/documented";
import { idSchema } from "./common";
import { type IssuesToError, parsedBy } from "./validate";

const historyItem = v.strictObject({
  itemId: idSchema("itemId must be an item id", "A catalog item."),
  weight: v.pipe(
    v.number(),
    v.minValue(-MAX_HISTORY_WEIGHT),
    v.maxValue(MAX_HISTORY_WEIGHT),
    v.description("The signed weight the index trained this (user, item) pair with: negative for a dislike, 0 for seen with no preference."),
  ),
  timestamp: v.optional(
    v.pipe(
      v.union([v.number(), v.string()]),
      documentedAs<number | string>({
        description: "When the pair was last met: epoch milliseconds or an ISO-8601 date-time. Give it for every item or none.",
        anyOf: [
          { type: "integer", minimum: 0 },
          { type: "string", format: "date-time" },
        ],
      }),
    ),
  ),
});

/**
 * `POST /admin/histories`: each listed user's seeded history, replaced
 * whole, all or nothing (shared/users/history.ts checks what the shape
 * cannot: ids, duplicates, weights, times and the caps).
 */
export const historyBatchBody = parsedBy(
  v.pipe(
    v.custom<Record<string, unknown>>(isObject),
    v.strictObject({
      users: v.pipe(
        v.array(
          v.strictObject({
            userId: idSchema("userId must be a user id"),
            items: v.pipe(
              v.array(historyItem),
              v.maxLength(MAX_HISTORY_ITEMS),
              v.description(`The user's items, oldest first (by timestamp when given), at most ${MAX_HISTORY_ITEMS}; [] clears the history.`),
            ),
          }),
        ),
        v.minLength(1),
        v.maxLength(MAX_HISTORY_USERS),
        v.description(`1 to ${MAX_HISTORY_USERS} users, at most ${MAX_HISTORY_BATCH_ITEMS} items in all.`),
      ),
    }),
  ),
  parseHistoryBatch,
);
/** What the shape refuses once parseHistoryBatch (run first, on the body as sent) let it through. */
export const historyBatchError: IssuesToError = (issues) => new AppError("invalid_history", `${issues[0].message}; nothing was stored`);

export const historiesResponse = v.object({
  users: v.array(
    v.object({
      userId: v.string(),
      items: v.pipe(v.number(), v.description("Items the user's history now holds.")),
      sessionVersion: v.pipe(v.number(), v.description("The user's new session version: lists cached before it are not served again.")),
    }),
  ),
  items: v.pipe(v.number(), v.description("Items stored, all users together.")),
});

export const historyResponse = v.object({
  userId: v.string(),
  items: v.pipe(
    v.array(v.object({ itemId: v.string(), weight: v.number(), timestampMs: v.optional(v.number()) })),
    v.description("The seeded history, newest first."),
  ),
  seededAt: v.pipe(v.nullable(v.string()), v.description("When it was seeded; null when it never was or was cleared.")),
});
