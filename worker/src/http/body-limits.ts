import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { AppError } from "../../../shared/errors";
import { type AppEnv } from "./app-env";

/** Index blobs are single KV values, at most 25 MiB each. */
const BLOB_UPLOAD_MAX_BYTES = 25 * 1024 * 1024;
/** A manifest lists every blob: a one-million-item index's is about 2 MiB (admin.ts reads at most 4); so does a list of checksums to look up. */
const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;
/** Everything else: the largest is an event batch (500 events of ~2 KB). */
const DEFAULT_MAX_BYTES = 1024 * 1024;

const tooLarge = (maxBytes: number) => () => {
  throw new AppError("payload_too_large", `the body exceeds ${maxBytes} bytes; nothing was read or stored`);
};
const blobLimit = bodyLimit({ maxSize: BLOB_UPLOAD_MAX_BYTES, onError: tooLarge(BLOB_UPLOAD_MAX_BYTES) });
const manifestLimit = bodyLimit({ maxSize: MANIFEST_MAX_BYTES, onError: tooLarge(MANIFEST_MAX_BYTES) });
const defaultLimit = bodyLimit({ maxSize: DEFAULT_MAX_BYTES, onError: tooLarge(DEFAULT_MAX_BYTES) });

/**
 * A body limit on every route (413 past it), checked from Content-Length
 * before anything runs, or while reading a body sent without one. Routes
 * keep their own, tighter limits where they read the body.
 */
export function bodyLimits() {
  return createMiddleware<AppEnv>(async function bodyLimitsMiddleware(c, next) {
    const put = c.req.method === "PUT";
    const post = c.req.method === "POST";
    // A batch of blobs (POST /admin/index/blobs) is held to one blob's limit too.
    const isBlob = (put && /^\/admin\/index\/(versions\/[^/]+\/blobs|blobs)\/[^/]+$/.test(c.req.path)) || (post && c.req.path === "/admin/index/blobs");
    const isManifest = (put && /^\/admin\/index\/versions\/[^/]+\/manifest$/.test(c.req.path)) || (post && c.req.path === "/admin/index/blobs/missing");
    return (isBlob ? blobLimit : isManifest ? manifestLimit : defaultLimit)(c, next);
  });
}
