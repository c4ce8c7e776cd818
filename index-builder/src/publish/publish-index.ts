import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type CatalogItem, MAX_ITEMS_PER_UPSERT } from "../../../shared/catalog/catalog-item";
import { parseManifest } from "../../../shared/index-format/manifest";

const UPLOAD_CONCURRENCY = 6;

export interface PublishOptions {
  /** Base URL of the Worker, e.g. http://127.0.0.1:8787. */
  url: string;
  adminKey: string;
  log?: (line: string) => void;
  /** Attempts per request on network errors and 5xx answers. */
  attempts?: number;
}

/**
 * Publishes a built index directory through the Worker's admin API, in the
 * only safe order: every blob, then the manifest, then the catalog rows, and
 * last the current-version pointer. A failure before the pointer leaves the
 * live version untouched; re-running is safe because every step is idempotent.
 */
export async function publishIndex(dir: string, options: PublishOptions): Promise<{ version: string }> {
  const log = options.log ?? (() => {});
  const manifest = parseManifest(JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")));
  const { version } = manifest;
  const call = (method: string, path: string, body: BodyInit, headers: Record<string, string>) =>
    request(options, method, path, body, headers);

  // Blobs are independent of each other: upload a few at a time (large indexes have thousands of pages).
  const blobs = Object.entries(manifest.blobs);
  let next = 0;
  let bytesSent = 0;
  const uploader = async () => {
    while (next < blobs.length) {
      const [name, ref] = blobs[next++]!;
      const bytes = await readFile(join(dir, "blobs", name));
      await call("PUT", `/admin/index/versions/${version}/blobs/${name}`, bytes, {
        "Content-Type": ref.contentType,
        "X-Content-Sha256": ref.sha256,
      });
      bytesSent += bytes.byteLength;
    }
  };
  await Promise.all(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, blobs.length) }, uploader));
  log(`${blobs.length} blob(s), ${bytesSent} bytes`);
  await call("PUT", `/admin/index/versions/${version}/manifest`, JSON.stringify(manifest), { "Content-Type": "application/json" });
  log(`manifest ${version}`);

  const catalog = JSON.parse(await readFile(join(dir, "catalog.json"), "utf8")) as CatalogItem[];
  for (let i = 0; i < catalog.length; i += MAX_ITEMS_PER_UPSERT) {
    const chunk = catalog.slice(i, i + MAX_ITEMS_PER_UPSERT);
    await call("POST", "/admin/catalog/items", JSON.stringify({ items: chunk, indexVersion: version }), {
      "Content-Type": "application/json",
    });
  }
  log(`catalog: ${catalog.length} items`);

  await call("PUT", "/admin/index/current", JSON.stringify({ version }), { "Content-Type": "application/json" });
  log(`current version -> ${version}`);
  return { version };
}

async function request(
  options: PublishOptions,
  method: string,
  path: string,
  body: BodyInit,
  headers: Record<string, string>,
): Promise<unknown> {
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(new URL(path, options.url), {
        method,
        body,
        headers: { ...headers, Authorization: `Bearer ${options.adminKey}` },
      });
    } catch (cause) {
      if (attempt < attempts) {
        await sleep(200 * attempt);
        continue;
      }
      throw new Error(`${method} ${path} failed: ${String(cause)}`, { cause });
    }
    const text = await response.text();
    if (response.ok) return text ? JSON.parse(text) : null;
    if (response.status >= 500 && attempt < attempts) {
      await sleep(200 * attempt);
      continue;
    }
    throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
