import { type Experiment, type Holdout } from "../../../shared/experiments/experiment";
import { type CurrentPointer, type PointerHistory } from "../../../shared/index-format/keys";
import { type BlobMetadata } from "../../../shared/index-format/kv-port";
import { type IndexManifest } from "../../../shared/index-format/manifest";
import { type UserHistory } from "../../../shared/users/history";

export interface AdminClientOptions {
  /** Base URL of the Worker, e.g. http://127.0.0.1:8787. */
  url: string;
  adminKey: string;
  /** Attempts per request on network errors and 5xx answers. */
  attempts?: number;
}

/** An error answer of the admin API, with the Worker's machine-readable code. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The Worker's admin API as the builder uses it: publication, the pointers,
 * listing and garbage collection. Network errors and 5xx answers are retried
 * (every call is idempotent); a 4xx is thrown as AdminApiError.
 */
export class AdminClient {
  constructor(readonly options: AdminClientOptions) {}

  /** Every stored blob by checksum, all pages. */
  async storedBlobs(): Promise<Map<string, BlobMetadata>> {
    const out = new Map<string, BlobMetadata>();
    let cursor: string | null = null;
    do {
      const page = (await this.json("GET", `/admin/index/blobs${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`)) as {
        blobs: BlobMetadata[];
        cursor: string | null;
      };
      for (const blob of page.blobs) out.set(blob.sha256, blob);
      cursor = page.cursor;
    } while (cursor);
    return out;
  }

  async putBlob(sha256: string, bytes: Uint8Array, contentType: string): Promise<"stored" | "unchanged"> {
    const body = (await this.send("PUT", `/admin/index/blobs/${sha256}`, bytes as Uint8Array<ArrayBuffer>, { "Content-Type": contentType })) as {
      outcome: "stored" | "unchanged";
    };
    return body.outcome;
  }

  /** Several blobs in one request (multipart, each part named by its checksum); every checksum is checked before any is stored. */
  async putBlobs(blobs: { sha256: string; bytes: Uint8Array; contentType: string }[]): Promise<number> {
    const form = new FormData();
    for (const b of blobs) form.append(b.sha256, new Blob([b.bytes as Uint8Array<ArrayBuffer>], { type: b.contentType }), b.sha256);
    return ((await this.send("POST", "/admin/index/blobs", form, {})) as { stored: number }).stored;
  }

  /** Which of these checksums the Worker does not hold (one request per 50k). */
  async missingBlobs(sha256s: string[]): Promise<Set<string>> {
    const missing = new Set<string>();
    for (let i = 0; i < sha256s.length; i += 50_000) {
      const body = (await this.json("POST", "/admin/index/blobs/missing", { sha256: sha256s.slice(i, i + 50_000) })) as { missing: string[] };
      for (const sha256 of body.missing) missing.add(sha256);
    }
    return missing;
  }

  async blob(sha256: string): Promise<Uint8Array> {
    return new Uint8Array(await (await this.raw("GET", `/admin/index/blobs/${sha256}`)).arrayBuffer());
  }

  async deleteBlob(sha256: string): Promise<void> {
    await this.json("DELETE", `/admin/index/blobs/${sha256}`);
  }

  async putManifest(manifest: IndexManifest): Promise<void> {
    await this.json("PUT", `/admin/index/versions/${manifest.version}/manifest`, manifest);
  }

  async manifest(version: string): Promise<IndexManifest> {
    return (await this.json("GET", `/admin/index/versions/${version}/manifest`)) as IndexManifest;
  }

  /** Published versions, the pointers, and the versions made current, oldest first. */
  async versions(): Promise<{
    versions: { version: string; builtAt: string | null }[];
    current: string | null;
    history: PointerHistory;
  }> {
    return (await this.json("GET", "/admin/index/versions")) as Awaited<ReturnType<AdminClient["versions"]>>;
  }

  async deleteVersion(version: string): Promise<void> {
    await this.json("DELETE", `/admin/index/versions/${version}`);
  }

  /** The live pointer, or null before any publication. */
  async current(): Promise<CurrentPointer | null> {
    try {
      return (await this.json("GET", "/admin/index/current")) as CurrentPointer;
    } catch (err) {
      if (err instanceof AdminApiError && err.code === "index_not_published") return null;
      throw err;
    }
  }

  async setCurrent(version: string): Promise<CurrentPointer> {
    return (await this.json("PUT", "/admin/index/current", { version })) as CurrentPointer;
  }

  /** Every experiment (any status) and the global holdout. */
  async experiments(): Promise<{ experiments: Experiment[]; holdout: Holdout }> {
    return (await this.json("GET", "/admin/experiments")) as { experiments: Experiment[]; holdout: Holdout };
  }

  /** One experiment, or null when there is none by that id. */
  async experiment(id: string): Promise<Experiment | null> {
    try {
      return ((await this.json("GET", `/admin/experiments/${encodeURIComponent(id)}`)) as { experiment: Experiment }).experiment;
    } catch (err) {
      if (err instanceof AdminApiError && err.status === 404) return null;
      throw err;
    }
  }

  /** Creates a draft from a definition in the experiments API's input form (worker/src/experiments/admin-routes.ts). */
  async createExperiment(definition: Record<string, unknown>): Promise<Experiment> {
    return ((await this.json("POST", "/admin/experiments", definition)) as { experiment: Experiment }).experiment;
  }

  /** Replaces a draft's definition (the Worker refuses it for a running or stopped experiment). */
  async updateExperiment(id: string, definition: Record<string, unknown>): Promise<Experiment> {
    return ((await this.json("PUT", `/admin/experiments/${encodeURIComponent(id)}`, definition)) as { experiment: Experiment }).experiment;
  }

  async startExperiment(id: string): Promise<Experiment> {
    return ((await this.json("POST", `/admin/experiments/${encodeURIComponent(id)}/start`)) as { experiment: Experiment }).experiment;
  }

  async stopExperiment(id: string): Promise<Experiment> {
    return ((await this.json("POST", `/admin/experiments/${encodeURIComponent(id)}/stop`)) as { experiment: Experiment }).experiment;
  }

  /**
   * A publication's catalog rows. `catalogAsOfMs`: when the rows' data was last changed (epoch ms); rows an operator
   * edited later keep their availability and region blocks. Absent, the rows overwrite them.
   */
  async upsertCatalog(items: unknown[], indexVersion: string, catalogAsOfMs?: number): Promise<void> {
    await this.json("POST", "/admin/catalog/items", { items, indexVersion, ...(catalogAsOfMs === undefined ? {} : { catalogAsOf: catalogAsOfMs }) });
  }

  /** Replaces these users' seeded histories (POST /admin/histories): at most MAX_HISTORY_USERS users and MAX_HISTORY_BATCH_ITEMS items. */
  async seedHistories(users: UserHistory[]): Promise<{ users: { userId: string; items: number; sessionVersion: number }[]; items: number }> {
    const body = {
      users: users.map((u) => ({
        userId: u.userId,
        items: u.items.map(({ timestampMs, ...x }) => (timestampMs === undefined ? x : { ...x, timestamp: timestampMs })),
      })),
    };
    return (await this.json("POST", "/admin/histories", body)) as Awaited<ReturnType<AdminClient["seedHistories"]>>;
  }

  /** A JSON call: `body` is sent as JSON when given; the answer is parsed. */
  async json(method: string, path: string, body?: unknown): Promise<unknown> {
    return this.send(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? {} : { "Content-Type": "application/json" });
  }

  private async send(method: string, path: string, body: BodyInit | undefined, headers: Record<string, string>): Promise<unknown> {
    const text = await (await this.raw(method, path, body, headers)).text();
    return text ? JSON.parse(text) : null;
  }

  private async raw(method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}): Promise<Response> {
    const attempts = this.options.attempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(new URL(path, this.options.url), {
          method,
          body,
          headers: { ...headers, Authorization: `Bearer ${this.options.adminKey}` },
        });
      } catch (cause) {
        if (attempt < attempts) {
          await sleep(200 * attempt);
          continue;
        }
        throw new Error(`${method} ${path} failed: ${String(cause)}`, { cause });
      }
      if (response.ok) return response;
      const text = await response.text();
      if (response.status >= 500 && attempt < attempts) {
        await sleep(200 * attempt);
        continue;
      }
      let code = "unknown";
      try {
        code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? code;
      } catch {
        // Not our error format (a proxy in between): the text says what happened.
      }
      throw new AdminApiError(response.status, code, `${method} ${path} answered ${response.status}: ${text}`);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
