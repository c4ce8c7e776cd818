import * as v from "valibot";
import { isObject } from "../../../../shared/is-object";
import { type AnnManifestSection } from "../../../../shared/ann/ann-manifest";
import { AppError } from "../../../../shared/errors";
import { type FunnelSection } from "../../../../shared/index-format/funnel-section";
import { BLOB_NAME_PATTERN, SHA256_PATTERN, VERSION_PATTERN } from "../../../../shared/index-format/keys";
import { MANIFEST_FORMAT_VERSION, type ManifestEvaluation, parseManifest } from "../../../../shared/index-format/manifest";
import { type LightWeights } from "../../../../shared/ranking/light-rank";
import { type RankingOrder } from "../../../../shared/ranking/ranking-order";
import { documentedAs } from "../../../../shared/schema/documented";
import { firstIssue, issuePath, rankOf } from "../../../../shared/schema/issues";
import { MAX_LOOKUP_BLOBS } from "../../index-store/blob-batch";
import { type IssuesToError } from "./validate";

/** The index publication API (`/admin/index/*`): what the builder sends and reads back. */

const SHA256_MESSAGE = "a blob is named by its lower-case hex SHA-256";
const VERSION_MESSAGE = "index version must be 1-64 characters of A-Z a-z 0-9 . _ -";
/** A part of the manifest the builder writes and shared/ checks in full (parseManifest): an object here. */
const section = <T>(description: string) => v.pipe(v.custom<T>(isObject), documentedAs<T>({ type: "object", description }));
const count = v.pipe(v.number(), v.integer(), v.minValue(0));

/** Every refusal of these schemas is `invalid_request` with the first issue's message. */
export const indexInputError: IssuesToError = (issues) => new AppError("invalid_request", issues[0].message);

export const sha256Param = v.object({
  sha256: v.pipe(v.string(), v.regex(SHA256_PATTERN, SHA256_MESSAGE), v.description("The blob's lower-case hex SHA-256.")),
});
const version = v.pipe(v.string(), v.regex(VERSION_PATTERN, VERSION_MESSAGE), v.description("An index version."));
export const versionParam = v.object({ version });

/** `PUT /admin/index/versions/:version/blobs/:name`: the header is checked first, then the version, then the name. */
export const versionBlobParams = v.object({
  version,
  name: v.pipe(
    v.string(),
    v.regex(BLOB_NAME_PATTERN, (issue) => `blob name "${String(issue.input)}" is not allowed`),
    v.description("The blob's name in the manifest."),
  ),
});
export const versionBlobParamsError: IssuesToError = (issues) =>
  new AppError("invalid_request", firstIssue(issues, (i) => [rankOf(["version", "name"], issuePath(i)[0])]).message);
const CONTENT_SHA_MESSAGE = "send the blob's hex SHA-256 in the X-Content-Sha256 header";
export const contentShaHeader = v.object(
  {
    "x-content-sha256": v.pipe(
      v.string(CONTENT_SHA_MESSAGE),
      v.regex(/^[0-9a-fA-F]{64}$/, CONTENT_SHA_MESSAGE),
      v.description("The body's hex SHA-256: the blob must be the one the version's manifest lists."),
    ),
  },
  CONTENT_SHA_MESSAGE,
);

export const blobsQuery = v.object({
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1, "cursor must come from the previous page"),
      v.maxLength(1024, "cursor must come from the previous page"),
      v.description("The previous page's cursor."),
    ),
  ),
});

const MISSING_MESSAGE = `send {"sha256": [...]} with at most ${MAX_LOOKUP_BLOBS} lower-case hex SHA-256 checksums`;
export const missingBody = v.object(
  {
    sha256: v.pipe(
      v.array(v.pipe(v.string(MISSING_MESSAGE), v.regex(SHA256_PATTERN, MISSING_MESSAGE)), MISSING_MESSAGE),
      v.maxLength(MAX_LOOKUP_BLOBS, MISSING_MESSAGE),
      v.description("Content addresses the upload would send."),
    ),
  },
  MISSING_MESSAGE,
);

const CURRENT_MESSAGE = 'send {"version": "<published version>"}';
export const currentBody = v.object(
  { version: v.pipe(v.string(CURRENT_MESSAGE), v.description("A published version: made live (also how rollback is done).")) },
  CURRENT_MESSAGE,
);

const blobRef = v.looseObject({
  bytes: count,
  sha256: v.pipe(v.string(), v.regex(SHA256_PATTERN)),
  contentType: v.string(),
});

/**
 * An index manifest as the builder writes it (shared/index-format/manifest.ts,
 * whose parser checks it in full and names the first problem): loose, as
 * the builder may record more than the Worker reads.
 */
export const manifestBody = v.pipe(
  v.custom<Record<string, unknown>>(isObject, "manifest must be a JSON object"),
  v.looseObject({
    formatVersion: v.literal(MANIFEST_FORMAT_VERSION),
    version: v.pipe(v.string(), v.regex(VERSION_PATTERN)),
    builtAt: v.pipe(v.string(), v.description("ISO 8601 build time.")),
    source: v.looseObject({ dataset: v.string(), newestInteractionAt: v.string() }),
    counts: v.looseObject({ items: count, users: count, interactions: count, categories: count }),
    blobs: v.pipe(
      v.record(v.pipe(v.string(), v.regex(BLOB_NAME_PATTERN)), blobRef),
      v.description("Blob name -> its size, checksum and type; `popular` is required."),
    ),
    fallbackItemIds: v.pipe(v.array(v.string()), v.description("Most popular item ids, served when the popular blob cannot be read.")),
    ann: v.optional(section<AnnManifestSection>("The ANN index's parameters and shard map (shared/ann/ann-manifest.ts).")),
    funnel: v.optional(section<FunnelSection>("Item facts, co-visitation, fold-in data and item vectors (shared/index-format/funnel-section.ts).")),
    ranking: v.optional(
      v.looseObject({
        light: section<LightWeights>("The light ranker's weights (shared/ranking/light-rank.ts)."),
        order: v.optional(
          v.pipe(
            v.custom<RankingOrder>((x) => typeof x === "string"),
            documentedAs<RankingOrder>({ type: "string" }),
          ),
        ),
      }),
    ),
    build: v.optional(v.pipe(v.record(v.string(), v.unknown()), v.description("How the builder made this version: for people and audits."))),
    evaluation: v.optional(section<ManifestEvaluation>("How the publication gate scored this version.")),
    erasureList: v.optional(
      v.pipe(
        v.looseObject({ readAt: v.string(), erasedUsers: count }),
        v.description(
          "The erasure list the build checked its data against: when it was read (ISO 8601) and how many users it named. Erasure receipts completed before then show the index part done.",
        ),
      ),
    ),
  }),
);

/** A manifest is published under the version in its path: the body must name the same. */
export function samePathVersion(body: unknown, version: string | undefined): unknown {
  if ((body as { version?: unknown } | null)?.version !== version) {
    throw new AppError("invalid_manifest", `manifest version must equal the version in the path (${version})`);
  }
  return body;
}

/**
 * A manifest refused by its schema: the path's version first, then what the
 * manifest's parser names (shared/index-format/manifest.ts), as before the schema.
 */
export const manifestError: IssuesToError = (issues, c, input) => {
  const version = c.req.param("version");
  if (version !== undefined && !VERSION_PATTERN.test(version))
    return new AppError("invalid_manifest", "manifest version must be 1-64 characters of A-Z a-z 0-9 . _ -");
  parseManifest(samePathVersion(input, version));
  return new AppError("invalid_manifest", `manifest ${issues[0].message}`);
};

const outcome = v.object({
  outcome: v.pipe(v.picklist(["stored", "unchanged"]), v.description("`unchanged`: the blob was there already (200).")),
  bytes: v.number(),
});
export const blobPutResponse = outcome;
export const blobBatchResponse = v.object({ stored: v.pipe(v.number(), v.description("Blobs newly stored.")), bytes: v.number() });
export const missingResponse = v.object({ missing: v.pipe(v.array(v.string()), v.description("The checksums the Worker does not hold.")) });
export const blobsResponse = v.object({
  blobs: v.array(v.object({ sha256: v.string(), bytes: v.number(), contentType: v.string(), storedAtMs: v.optional(v.number()) })),
  cursor: v.pipe(v.nullable(v.string()), v.description("The next page's cursor; null on the last page.")),
});
export const deletedResponse = v.object({ deleted: v.literal(true) });
export const versionsResponse = v.object({
  versions: v.array(v.object({ version: v.string(), builtAt: v.nullable(v.string()) })),
  current: v.nullable(v.string()),
  history: v.pipe(v.array(v.object({ version: v.string(), at: v.string() })), v.description("The versions made current, oldest first.")),
});
export const manifestPutResponse = v.object({ version: v.string(), blobs: v.pipe(v.array(v.string()), v.description("The blob names it lists.")) });
export const pointerResponse = v.object({
  version: v.string(),
  publishedAt: v.string(),
  catalogAsOf: v.optional(v.pipe(v.string(), v.description("When the version first went live."))),
});
