import * as v from "valibot";
import { AppError } from "../../../../shared/errors";
import { documentedAs } from "../../../../shared/schema/documented";
import { boundedInt, firstFieldError, ID_RULE, idSchema, intParam } from "./common";
import { type IssuesToError } from "./validate";

export const itemIdParam = v.object({ id: idSchema(`item id must be ${ID_RULE}`) });

/** Most inverted lists one request may probe, whatever the index: far above any `nlist` an edge index is built with. */
export const MAX_NPROBE = 65_536;
/** Most candidates one request may re-score exactly. */
export const MAX_SHORTLIST = 10_000;

/**
 * `GET /v1/items/:id/similar`: `nprobe` is also bounded by the loaded index's
 * `nlist`, which the route checks once the index is read.
 */
export const similarQuery = v.object({
  limit: intParam("limit", 20, 1, 100),
  nprobe: v.optional(
    boundedInt("nprobe", 1, MAX_NPROBE, "Inverted lists probed, 1 to the index's nlist (a 400 above it); the index's calibrated value when absent."),
  ),
  shortlist: v.optional(
    boundedInt("shortlist", 0, MAX_SHORTLIST, `Candidates re-scored exactly, 0 to ${MAX_SHORTLIST}; the index's calibrated value when absent.`),
  ),
});
/** These routes never named the field in their errors. */
export const plainQueryError: IssuesToError = (issues) => new AppError("invalid_request", issues[0].message);

const REGION_MESSAGE = 'region must be a two-letter country code or "global"';
/** `GET /v1/trending`: `region` defaults to the caller's (Cloudflare's edge data), which the route reads. */
export const trendingQuery = v.object({
  region: v.optional(
    v.pipe(
      v.string(REGION_MESSAGE),
      v.description("A two-letter country code (any case) or `global`; the caller's country when absent."),
      v.toLowerCase(),
      v.regex(/^([a-z]{2}|global)$/, REGION_MESSAGE),
      documentedAs<string>({
        type: "string",
        pattern: "^([A-Za-z]{2}|global)$",
        description: "A two-letter country code (any case) or `global`; the caller's country when absent.",
      }),
    ),
  ),
  limit: intParam("limit", 20, 1, 100),
});
export const trendingQueryError = firstFieldError("invalid_request", ["region", "limit"]);

const scoredItems = v.array(v.object({ itemId: v.string(), score: v.number() }));

export const trendingResponse = v.object({
  region: v.string(),
  source: v.pipe(
    v.picklist(["redis", "popular"]),
    v.description(
      "`popular`: the index's popular list stands in, because Redis is off or down (then `degraded` says so) or nothing was counted in the region yet.",
    ),
  ),
  items: scoredItems,
  degraded: v.array(v.string()),
});

export const similarResponse = v.object({ itemId: v.string(), indexVersion: v.string(), items: scoredItems, degraded: v.array(v.string()) });

export const catalogItemResponse = v.object({
  itemId: v.string(),
  title: v.string(),
  categories: v.array(v.string()),
  year: v.nullable(v.number()),
  tags: v.array(v.string()),
  available: v.boolean(),
  blockedRegions: v.optional(v.pipe(v.array(v.string()), v.description("Countries (upper case) where the item may not be shown."))),
});

export const anonymousResponse = v.object({
  userId: v.pipe(v.string(), v.description("The visitor's signed anonymous id: use it as user_id.")),
  token: v.pipe(v.string(), v.description("Its user token (30 days): send as Authorization: Bearer.")),
  expiresAt: v.pipe(v.string(), v.description("When the token expires (ISO 8601).")),
  renewed: v.boolean(),
});
