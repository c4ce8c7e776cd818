import { type Context } from "hono";
import { AppError } from "../../../shared/errors";
import { KV_VALUE_LIMIT_BYTES, presentBlobs, putBlobs } from "../../../shared/index-format/index-writer";
import { type AppEnv } from "../http/app-env";
import { readBytes } from "../http/read-json";
import { validBlobBatch } from "../http/schemas/blob-batch";

/** Checksums one lookup may name: a 1M-item index lists ~14k blobs. */
export const MAX_LOOKUP_BLOBS = 50_000;

/**
 * `POST /admin/index/blobs`: several blobs in one multipart/form-data body,
 * each part a file named by its SHA-256 and typed with its content type.
 * One request instead of one per blob: on a local stack the request, not
 * the bytes, is most of a small blob's cost. Every checksum is checked
 * before anything is written (schemas/blob-batch.ts).
 */
export async function storeBlobBatch(c: Context<AppEnv>): Promise<{ stored: number; bytes: number }> {
  const type = c.req.header("content-type") ?? "";
  if (!type.startsWith("multipart/form-data"))
    throw new AppError("invalid_request", "send the blobs as multipart/form-data, one file per blob named by its SHA-256");
  const body = await readBytes(c, KV_VALUE_LIMIT_BYTES);
  let form: FormData;
  try {
    form = await new Response(body as Uint8Array<ArrayBuffer>, { headers: { "content-type": type } }).formData();
  } catch (cause) {
    throw new AppError("invalid_request", "the body is not valid multipart/form-data", undefined, { cause });
  }
  const parts: [string, File | string][] = [];
  form.forEach((part, name) => parts.push([name, part]));
  const blobs: { bytes: Uint8Array; sha256: string; contentType: string }[] = [];
  for (const [sha256, part] of validBlobBatch(parts))
    blobs.push({ sha256, bytes: new Uint8Array(await part.arrayBuffer()), contentType: part.type || "application/octet-stream" });
  const stored = await putBlobs(c.env.INDEX_KV, blobs);
  return { stored, bytes: blobs.reduce((a, b) => a + b.bytes.byteLength, 0) };
}

/**
 * `POST /admin/index/blobs/missing` `{"sha256": [...]}` (checked by the route's schema): which of these blobs
 * the Worker does not hold, in one request. Many are answered by a listing
 * alone: one that KV's eventually consistent list missed is sent again, harmlessly.
 */
export async function missingBlobs(c: Context<AppEnv>, sha256: readonly string[]): Promise<{ missing: string[] }> {
  const wanted = new Set(sha256);
  const present = await presentBlobs(c.env.INDEX_KV, wanted, true);
  return { missing: [...wanted].filter((sha256) => !present.has(sha256)) };
}
