import * as v from "valibot";
import { AppError } from "../../../../shared/errors";
import { SHA256_PATTERN } from "../../../../shared/index-format/keys";

/** Parts of one batch: enough that a catalog-only publication of a 1M-item index (~800 changed pages) takes a dozen requests. */
export const MAX_BATCH_BLOBS = 100;

/**
 * The parts of a `POST /admin/index/blobs` multipart body, in body order, as
 * [name, value] pairs: each a file named by its blob's lower-case hex
 * SHA-256, 1 to MAX_BATCH_BLOBS of them.
 */
export const blobBatchParts = v.pipe(
  v.array(v.tuple([v.pipe(v.string(), v.regex(SHA256_PATTERN)), v.instance(File)])),
  v.minLength(1),
  v.maxLength(MAX_BATCH_BLOBS),
);

/**
 * The parts checked in body order, every one before anything is stored; the
 * first problem is the answer, worded as clients have always been told it.
 */
export function validBlobBatch(parts: [string, File | string][]): [string, File][] {
  const result = v.safeParse(blobBatchParts, parts, { abortEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const index = issue.path?.[0]?.key;
  if (typeof index === "number") {
    const [name] = parts[index]!;
    if (!SHA256_PATTERN.test(name))
      throw new AppError("invalid_request", `part "${name.slice(0, 80)}" must be named by its lower-case hex SHA-256; nothing was stored`);
    throw new AppError("invalid_request", `part ${name} must be a file; nothing was stored`);
  }
  throw new AppError("invalid_request", `send 1 to ${MAX_BATCH_BLOBS} blobs per batch`);
}
