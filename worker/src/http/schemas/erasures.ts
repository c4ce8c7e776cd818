import * as v from "valibot";
import { ID_PATTERN } from "../../../../shared/ids";
import { firstFieldError, intParam } from "./common";
import { erasureReceipt } from "./users";

/** `GET /admin/erasures`: the latest receipts, or a user's (their id is turned into its keyed tag and not stored). */
export const erasuresQuery = v.object({
  user: v.optional(
    v.pipe(
      v.string("user must be a user id"),
      v.regex(ID_PATTERN, "user must be a user id"),
      v.description("Receipts of this user (their id is turned into its keyed tag)."),
    ),
  ),
  limit: intParam("limit", 50, 1, 500),
});
/** 400 `invalid_request` naming `user` or `limit`, in that order. */
export const erasuresQueryError = firstFieldError("invalid_request", ["user", "limit"]);

export const receiptParam = v.object({ receiptId: v.pipe(v.string(), v.description("The receipt's id, from the erasure's answer.")) });

/** A receipt, completed with the builder's progress when Redis and the index store could be read. */
export const receipt = v.object({
  ...erasureReceipt.entries,
  builderProgress: v.optional(v.pipe(v.string(), v.description("Why the builder's progress is unknown (Redis or the index store unreachable)."))),
});
export const receiptsResponse = v.object({ receipts: v.array(receipt) });
