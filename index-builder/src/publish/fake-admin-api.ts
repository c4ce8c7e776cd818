import { createServer, type IncomingMessage, type Server } from "node:http";
import { type AddressInfo } from "node:net";
import { AppError } from "../../../shared/errors";
import { type Experiment, type Holdout } from "../../../shared/experiments/experiment";
import { assertNoOverlap, indexVersionsOf, parseExperimentDefinition } from "../../../shared/experiments/experiment-input";
import { type PointerHistory } from "../../../shared/index-format/keys";

/**
 * For tests: the Worker's admin API as the pipeline, rollback and gc use it,
 * held in memory (published versions, the pointer and its history,
 * experiments with their draft -> running -> stopped rules and the layer
 * overlap check of shared/experiments), with the Worker's error envelope and
 * statuses. No blobs are stored; manifests list none.
 */
export interface FakeAdminApi {
  url: string;
  /** Published versions (those with a manifest). */
  versions: Set<string>;
  history: PointerHistory;
  experiments: Map<string, Experiment>;
  /** Every request, as "METHOD path". */
  calls: string[];
  /** Answers this error to the next matching request ("METHOD path") instead of serving it, once. */
  failNext: Map<string, { status: number; code: string; message: string }>;
  current(): string | null;
  close(): Promise<void>;
}

const STATUS: Record<string, number> = {
  not_found: 404,
  index_not_published: 503,
  version_conflict: 409,
  experiment_conflict: 409,
  overlapping_experiment: 400,
  unknown_index_version: 400,
};

const HOLDOUT: Holdout = { salt: "holdout", start: 0, end: 0 };

export async function startFakeAdminApi(init: { versions?: string[]; history?: string[] } = {}): Promise<FakeAdminApi> {
  let tick = 0;
  const at = () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)).toISOString();
  const api: Omit<FakeAdminApi, "url" | "close"> = {
    versions: new Set(init.versions ?? []),
    history: (init.history ?? []).map((version) => ({ version, at: at() })),
    experiments: new Map(),
    calls: [],
    failNext: new Map(),
    current: () => api.history.at(-1)?.version ?? null,
  };
  const pinned = () => new Set([...api.experiments.values()].filter((e) => e.status !== "stopped").flatMap(indexVersionsOf));
  const requireExperiment = (id: string) => {
    const e = api.experiments.get(id);
    if (!e) throw new AppError("not_found", `no experiment "${id}"`);
    return e;
  };
  const published = (e: Pick<Experiment, "variants">) => {
    for (const v of indexVersionsOf(e)) if (!api.versions.has(v)) throw new AppError("unknown_index_version", `index version "${v}" is not published`);
  };
  const route = (method: string, path: string, body: unknown): [number, unknown] => {
    const running = () => [...api.experiments.values()].filter((e) => e.status === "running");
    let m: RegExpMatchArray | null;
    if (method === "GET" && path === "/admin/index/current") {
      const version = api.current();
      if (!version) throw new AppError("index_not_published", "no index has been published yet");
      const last = api.history.at(-1)!;
      return [200, { version, publishedAt: last.at, catalogAsOf: last.at }];
    }
    if (method === "PUT" && path === "/admin/index/current") {
      const { version } = body as { version: string };
      if (!api.versions.has(version)) throw new AppError("not_found", `index version ${version} has no manifest; publish it first`);
      const now = at();
      if (api.current() !== version) api.history.push({ version, at: now });
      return [200, { version, publishedAt: now, catalogAsOf: now }];
    }
    if (method === "GET" && path === "/admin/index/versions") {
      return [200, { versions: [...api.versions].map((version) => ({ version, builtAt: null })), current: api.current(), history: api.history }];
    }
    if ((m = path.match(/^\/admin\/index\/versions\/([^/]+)$/)) && method === "DELETE") {
      const version = decodeURIComponent(m[1]!);
      if (version === api.current() || pinned().has(version))
        throw new AppError("version_conflict", `version ${version} is serving (current, or pinned by an experiment); it cannot be deleted`);
      api.versions.delete(version);
      return [200, { deleted: true }];
    }
    if ((m = path.match(/^\/admin\/index\/versions\/([^/]+)\/manifest$/)) && method === "GET") {
      const version = decodeURIComponent(m[1]!);
      if (!api.versions.has(version)) throw new AppError("not_found", `index version ${version} has no manifest`);
      return [200, { version, blobs: {} }];
    }
    if (method === "GET" && path.startsWith("/admin/index/blobs")) return [200, { blobs: [], cursor: null }];
    if (method === "GET" && path === "/admin/experiments") return [200, { experiments: [...api.experiments.values()], holdout: HOLDOUT }];
    if (method === "POST" && path === "/admin/experiments") {
      const d = parseExperimentDefinition(body);
      if (api.experiments.has(d.id)) throw new AppError("experiment_conflict", `experiment "${d.id}" exists`);
      published(d);
      assertNoOverlap(d, running());
      const e: Experiment = { ...d, status: "draft", createdAtMs: tick, updatedAtMs: tick, startedAtMs: null, stoppedAtMs: null };
      api.experiments.set(d.id, e);
      return [201, { experiment: e }];
    }
    if ((m = path.match(/^\/admin\/experiments\/([^/]+)$/))) {
      const id = decodeURIComponent(m[1]!);
      const current = requireExperiment(id);
      if (method === "GET") return [200, { experiment: current, audit: [] }];
      if (method === "PUT") {
        if (current.status !== "draft") throw new AppError("experiment_conflict", `experiment "${id}" is ${current.status}: only drafts can change`);
        const d = parseExperimentDefinition({ ...(body as object), id });
        published(d);
        assertNoOverlap(d, running());
        const e: Experiment = { ...current, ...d, updatedAtMs: tick };
        api.experiments.set(id, e);
        return [200, { experiment: e }];
      }
    }
    if ((m = path.match(/^\/admin\/experiments\/([^/]+)\/(start|stop)$/)) && method === "POST") {
      const id = decodeURIComponent(m[1]!);
      const current = requireExperiment(id);
      const [from, to] = m[2] === "start" ? (["draft", "running"] as const) : (["running", "stopped"] as const);
      if (current.status !== from)
        throw new AppError("experiment_conflict", `experiment "${id}" is ${current.status}: only a ${from} experiment can become ${to}`);
      if (to === "running") {
        published(current);
        assertNoOverlap(current, running());
      }
      const e: Experiment = { ...current, status: to, ...(to === "running" ? { startedAtMs: tick } : { stoppedAtMs: tick }) };
      api.experiments.set(id, e);
      return [200, { experiment: e }];
    }
    throw new AppError("not_found", `no route for ${method} ${path}`);
  };
  const server: Server = createServer((req: IncomingMessage, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => {
      const method = req.method ?? "GET";
      const path = req.url ?? "/";
      api.calls.push(`${method} ${path}`);
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(body));
      };
      const failure = api.failNext.get(`${method} ${path}`);
      if (failure) {
        api.failNext.delete(`${method} ${path}`);
        return send(failure.status, { error: { code: failure.code, message: failure.message } });
      }
      try {
        const [status, body] = route(method, path, text ? JSON.parse(text) : undefined);
        send(status, body);
      } catch (err) {
        if (!(err instanceof AppError)) return send(500, { error: { code: "internal", message: String(err) } });
        send(STATUS[err.code] ?? 400, { error: { code: err.code, message: err.message } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(api, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
