import * as v from "valibot";
import { AppError } from "../../../../shared/errors";
import { isObject } from "../../../../shared/is-object";
import { wrongType } from "../../../../shared/schema/field-message";
import { isUnknownKeyIssue, issuePath } from "../../../../shared/schema/issues";
import { firstProfileIssue, userProfileSchema } from "../../../../shared/users/profile";
import { idSchema, ID_RULE } from "./common";
import { type IssuesToError } from "./validate";

export const userIdParam = v.object({ id: idSchema(`user id must be ${ID_RULE}`) });
/** Path ids were never named as a field in the error. */
export const idParamError: IssuesToError = (issues) => new AppError("invalid_request", issues[0].message);

export const profileBody = userProfileSchema;
/** 400 `invalid_request` with the first problem, naming the field at fault as the events and recommendations refusals do. */
export const profileError: IssuesToError = (issues) => {
  const issue = firstProfileIssue(issues);
  const field = issuePath(issue)[0];
  return new AppError("invalid_request", `${issue.message}; the profile was not changed`, typeof field === "string" ? { field } : undefined);
};

const MERGE_MESSAGE = 'send {"anonymousToken": "<the visitor\'s anonymous token>"}';
/** `anonymousToken` and nothing else, as an event batch holds only its fields: a field sent is never ignored. */
export const mergeBody = v.strictObject(
  {
    anonymousToken: v.pipe(
      v.string((issue) => `anonymousToken: ${wrongType("a string (the visitor's anonymous token)", issue.input)}`),
      v.description("The visitor's anonymous token (from POST /v1/anonymous)."),
    ),
  },
  MERGE_MESSAGE,
);
/**
 * Another field (before any problem of anonymousToken): named; anonymousToken
 * absent (or no object body): what to send; of another type: the type
 * expected and got.
 */
export const mergeError: IssuesToError = (issues, _c, input) => {
  const unknown = isObject(input) ? issues.find(isUnknownKeyIssue) : undefined;
  if (unknown !== undefined) {
    const field = String(issuePath(unknown)[0]);
    return new AppError("invalid_request", `${field}: unknown field; ${MERGE_MESSAGE} only; nothing was merged`, { field });
  }
  return new AppError("invalid_request", issues[0].message, { field: "anonymousToken" });
};

export const profileResponse = v.object({
  userId: v.string(),
  profile: v.object({ region: v.nullable(v.string()), categories: v.array(v.string()) }),
  sessionVersion: v.number(),
});
export const mergeResponse = v.object({
  userId: v.string(),
  mergedFrom: v.pipe(v.string(), v.description("The anonymous id whose session joined the user's.")),
  mergedEvents: v.number(),
  profileAdopted: v.boolean(),
  sessionVersion: v.number(),
});
/** What was erased where (worker/src/privacy/erase-user.ts). */
export const erasureReceipt = v.object({
  receiptId: v.string(),
  subject: v.pipe(v.string(), v.description("Keyed hash of the user id: the receipt never names the user.")),
  requestedAt: v.string(),
  completedAt: v.string(),
  stores: v.array(
    v.object({
      store: v.picklist(["session", "redis", "builder-files", "index", "list-cache"]),
      removed: v.optional(v.record(v.string(), v.number())),
      status: v.picklist(["erased", "disabled", "pending", "done", "expires"]),
      note: v.optional(v.string()),
    }),
  ),
  requestId: v.nullable(v.string()),
});
export const eraseResponse = v.object({
  userId: v.string(),
  erased: v.literal(true),
  redis: v.optional(v.pipe(v.string(), v.description("What became of the user's data in Redis (`erased`, `disabled`)."))),
  receipt: v.pipe(erasureReceipt, v.description("What was erased where; GET /admin/erasures/{receiptId} shows its later progress.")),
});
