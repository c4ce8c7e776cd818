import * as v from "valibot";
import { type Surface } from "../../../../shared/funnel/run-funnel";
import { ID_PATTERN, isValidId } from "../../../../shared/ids";
import { decodeCursor, type PageCursor } from "../../../../shared/ranking/page-cursor";
import { fieldMessage } from "../../../../shared/schema/field-message";
import { entryMessage } from "../../../../shared/schema/issues";
import { firstFieldError, ID_RULE, idSchema, intParam } from "./common";

export const SURFACES = ["home", "up_next", "related"] as const satisfies readonly Surface[];
const MAX_LIMIT = 50;
const MAX_EXCLUDE = 100;

export interface RecommendationQuery {
  userId: string;
  surface: Surface;
  contextItemId: string | null;
  limit: number;
  category: string | null;
  excludeIds: string[];
  cursor: PageCursor | null;
}

const entries = {
  user_id: idSchema(
    fieldMessage({ missing: `user_id is required: ${ID_RULE}`, types: ["string"], expected: "a string", invalid: `user_id must be ${ID_RULE}` }),
    "The user the list is for; a browser's token must be this user's.",
  ),
  surface: v.optional(
    v.pipe(v.picklist(SURFACES, `surface must be one of: ${SURFACES.join(", ")}`), v.description("`home` (default), `up_next` or `related`.")),
    "home",
  ),
  item_id: v.optional(idSchema(`item_id must be ${ID_RULE}`, "The item being watched or viewed: required for `up_next` and `related`.")),
  limit: intParam("limit", 20, 1, MAX_LIMIT, `Items per page, 1 to ${MAX_LIMIT}; 20 when absent.`),
  category: v.optional(
    v.pipe(
      v.string("category must be 1-64 characters"),
      v.minLength(1, "category must be 1-64 characters"),
      v.maxLength(64, "category must be 1-64 characters"),
      v.description("Only items of this one category."),
    ),
  ),
  exclude: v.optional(
    v.pipe(
      v.string(),
      v.description(`Comma-separated item ids (at most ${MAX_EXCLUDE}) never to show.`),
      v.transform((raw) => raw.split(",").filter(Boolean)),
      v.check((ids) => ids.length <= MAX_EXCLUDE && ids.every(isValidId), `exclude must be a comma-separated list of at most ${MAX_EXCLUDE} item ids`),
    ),
    "",
  ),
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.description("The previous page's `nextCursor`."),
      v.transform(decodeCursor),
      v.check((cursor) => cursor !== null, "cursor is not one this service issued; start again without it"),
    ),
  ),
};

/** `GET /v1/recommendations` query. */
export const recommendationsQuery = v.pipe(
  v.object(entries, entryMessage(entries, "send the query parameters")),
  v.forward(
    v.partialCheck(
      [["surface"], ["item_id"]],
      (q) => q.surface === "home" || q.item_id !== undefined,
      (issue) => `surface ${(issue.input as { surface: string }).surface} needs item_id: the item being watched or viewed`,
    ),
    ["item_id"],
  ),
  v.transform((q): RecommendationQuery => ({
    userId: q.user_id,
    surface: q.surface,
    contextItemId: q.item_id ?? null,
    limit: q.limit,
    category: q.category ?? null,
    excludeIds: q.exclude.sort(),
    cursor: q.cursor ?? null,
  })),
);

/** Checked in this order; the first problem is the one answered (400 `invalid_request` naming `field`). */
export const recommendationsQueryError = firstFieldError("invalid_request", Object.keys(entries));

const reason = v.object({
  code: v.picklist([
    "popular",
    "because_you_watched",
    "similar_to_item",
    "for_you",
    "trending_in_region",
    "matches_your_interests",
    "new",
    "editorial",
    "exploring",
  ]),
  text: v.pipe(v.string(), v.description('A sentence for people: "Because you watched Toy Story".')),
});

export const recommendedItem = v.object({
  itemId: v.pipe(v.string(), v.regex(ID_PATTERN)),
  title: v.nullable(v.string()),
  score: v.number(),
  rank: v.pipe(v.number(), v.integer(), v.minValue(1), v.description("1-based position in the whole list.")),
  sources: v.pipe(
    v.array(v.string()),
    v.description("Candidate sources that proposed it: ann, covisit, context, trending, content, fresh, editorial, popular."),
  ),
  reasons: v.array(reason),
  propensity: v.optional(v.pipe(v.number(), v.description("Probability that the policy showed it in this slot (for off-policy evaluation)."))),
});

/** `GET /v1/recommendations` 200. */
export const recommendationsResponse = v.object({
  userId: v.string(),
  surface: v.picklist(SURFACES),
  contextItemId: v.nullable(v.string()),
  region: v.string(),
  indexVersion: v.string(),
  sessionVersion: v.pipe(v.number(), v.description("Moves with every event of the user: a cached list is used only at the version read now.")),
  experiment: v.nullable(v.string()),
  variant: v.pipe(v.string(), v.description("`default` outside experiments, `holdout` in the holdout.")),
  experiments: v.array(v.object({ experiment: v.string(), variant: v.string() })),
  impressionId: v.pipe(v.string(), v.description("Send it back with events on these items: attributes them to this list.")),
  items: v.array(recommendedItem),
  nextCursor: v.nullable(v.string()),
  ranker: v.pipe(v.string(), v.description("`heavy` (the ONNX model), `light`, or `source:<s>`.")),
  degraded: v.pipe(v.array(v.string()), v.description("Stages that failed or were skipped; the answer is still whole otherwise.")),
});
