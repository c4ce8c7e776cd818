import * as v from "valibot";
import { ID_PATTERN } from "../../../../shared/ids";
import { BLOB_NAME_PATTERN, SHA256_PATTERN, VERSION_PATTERN } from "../../../../shared/index-format/keys";

/**
 * The admin API's path, query and body shapes, for the API reference. The
 * admin routes (secret keys only: the index builder, operators) still check
 * their inputs in the route and in shared/ parsers (manifest, policy,
 * editorial lists, catalog items, experiments), whose messages these
 * schemas do not reproduce; bodies marked "free-form" here are checked there.
 */
export const sha256Param = v.object({ sha256: v.pipe(v.string(), v.regex(SHA256_PATTERN), v.description("The blob's lower-case hex SHA-256.")) });
export const versionParam = v.object({ version: v.pipe(v.string(), v.regex(VERSION_PATTERN), v.description("An index version.")) });
export const versionBlobParams = v.object({ ...versionParam.entries, name: v.pipe(v.string(), v.regex(BLOB_NAME_PATTERN)) });
export const adminUserParam = v.object({ id: v.pipe(v.string(), v.regex(ID_PATTERN)) });
export const variantParam = v.object({ variant: v.pipe(v.string(), v.regex(ID_PATTERN)) });
export const experimentParam = v.object({ id: v.pipe(v.string(), v.regex(ID_PATTERN), v.maxLength(64)) });
export const receiptParam = v.object({ receiptId: v.string() });

export const blobsQuery = v.object({ cursor: v.optional(v.pipe(v.string(), v.maxLength(1024), v.description("The previous page's cursor."))) });
export const metricsQuery = v.object({ minutes: v.optional(v.pipe(v.string(), v.description("Window in minutes, 1 to 2880; 60 when absent."))) });
export const countersQuery = v.object({ region: v.optional(v.pipe(v.string(), v.regex(/^([a-z]{2}|global)$/), v.description("`global` when absent."))) });
export const reportQuery = v.object({ format: v.optional(v.pipe(v.picklist(["json", "markdown"]), v.description("`markdown` for text."))) });
export const erasuresQuery = v.object({
  user: v.optional(v.pipe(v.string(), v.regex(ID_PATTERN), v.description("Receipts of this user (their id is turned into its keyed tag)."))),
  limit: v.optional(v.pipe(v.string(), v.description("1 to 500; 50 when absent."))),
});

export const missingBody = v.object({
  sha256: v.pipe(v.array(v.pipe(v.string(), v.regex(SHA256_PATTERN))), v.description("Content addresses the upload would send.")),
});
export const currentBody = v.object({ version: v.pipe(v.string(), v.description("A published version: made live (also how rollback is done).")) });
export const catalogItemsBody = v.object({
  items: v.pipe(
    v.array(
      v.object({
        itemId: v.pipe(v.string(), v.regex(ID_PATTERN)),
        title: v.string(),
        categories: v.array(v.string()),
        year: v.nullable(v.number()),
        tags: v.array(v.string()),
        available: v.boolean(),
        blockedRegions: v.optional(v.array(v.string())),
      }),
    ),
    v.minLength(1),
    v.maxLength(500),
  ),
  indexVersion: v.optional(v.nullable(v.pipe(v.string(), v.regex(VERSION_PATTERN)))),
});
const freeForm = (description: string) => v.pipe(v.record(v.string(), v.unknown()), v.description(description));
export const manifestBody = freeForm("The index manifest the builder writes (shared/index-format/manifest.ts): every blob it lists must be uploaded first.");
export const policyBody = freeForm("Re-ranking knobs and business rules per surface (`default` for all): see the README's PUT /admin/config/policy.");
export const editorialBody = freeForm('Editorial lists per surface and region: `{"home": {"default": ["858"], "us": ["260"]}}`.');
export const experimentBody = freeForm("An experiment definition: see the README's Experiments section.");
export const holdoutBody = v.object({
  percent: v.pipe(v.number(), v.minValue(0), v.maxValue(100)),
  salt: v.optional(v.string()),
  offset: v.optional(v.number()),
});

export const anyJson = freeForm("JSON; see the README for its fields.");
