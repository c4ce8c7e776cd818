import { Agent, get, type IncomingMessage } from "node:http";
import { quantile, round, runBounded } from "./stats";

/** One response as the load generator saw it. */
export interface Sample {
  status: number;
  clientMs: number;
  /** Server-Timing stage -> ms (includes `total`). */
  server: Record<string, number>;
  cache: string | null;
  /** KV reads the Worker made answering (Server-Timing `kv-reads;desc="N"`); null when it does not say. */
  kvReads: number | null;
}

export interface LatencySummary {
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
}

/**
 * Sends the URLs at fixed concurrency (bounded in time), returning every
 * sample and the rate. Plain `http.get` over one keep-alive connection per
 * client: Node's `fetch` spent more CPU per request than the Worker's cached
 * answers (/health/live at 8 concurrent: 377 req/s with fetch, 866 with
 * this), and on two cores the load generator's CPU is the server's loss.
 */
export async function drive(
  urls: string[],
  concurrency: number,
  maxMs: number,
  headers: Record<string, string> = {},
): Promise<{ samples: Sample[]; rps: number }> {
  const samples: Sample[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const started = performance.now();
  try {
    await runBounded(urls.length, concurrency, Date.now() + maxMs, async (i) => {
      const t0 = performance.now();
      try {
        const res = await getDrained(urls[i]!, agent, headers);
        const header = res.headers["server-timing"];
        const cache = res.headers["x-cache"];
        samples.push({
          status: res.statusCode ?? 0,
          clientMs: performance.now() - t0,
          server: parseServerTiming(typeof header === "string" ? header : null),
          cache: typeof cache === "string" ? cache : null,
          kvReads: kvReadsOf(typeof header === "string" ? header : null),
        });
      } catch {
        samples.push({ status: 0, clientMs: performance.now() - t0, server: {}, cache: null, kvReads: null });
      }
    });
  } finally {
    agent.destroy();
  }
  return { samples, rps: round(samples.length / ((performance.now() - started) / 1000), 1) };
}

/** GET `url`, its body read and dropped; rejects on a connection error or after 30 s. */
function getDrained(url: string, agent: Agent, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent, timeout: 30_000, headers }, (res) => {
      res.on("data", () => {});
      res.on("end", () => resolve(res));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`timed out: ${url}`)));
    req.on("error", reject);
  });
}

export function parseServerTiming(header: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (header ?? "").split(",")) {
    const match = /^\s*([\w-]+);dur=([\d.]+)/.exec(part);
    if (match) out[match[1]!] = Number(match[2]);
  }
  return out;
}

/** The `kv-reads;desc="N"` entry of a Server-Timing header (worker/src/http/count-kv-reads.ts). */
function kvReadsOf(header: string | null): number | null {
  const match = /\bkv-reads;desc="?(\d+)/.exec(header ?? "");
  return match ? Number(match[1]) : null;
}

export function summarize(values: number[]): LatencySummary {
  return { p50_ms: round(quantile(values, 0.5)), p95_ms: round(quantile(values, 0.95)), p99_ms: round(quantile(values, 0.99)) };
}

/** Client and server latency, and per Server-Timing stage p50/p95. */
export function describe(samples: Sample[]) {
  const ok = samples.filter((s) => s.status === 200);
  const stages = new Set(ok.flatMap((s) => Object.keys(s.server)));
  return {
    ...summarize(ok.map((s) => s.clientMs)),
    server: summarize(ok.map((s) => s.server.total ?? Number.NaN).filter((x) => !Number.isNaN(x))),
    stages: Object.fromEntries(
      [...stages].filter((st) => st !== "total").map((st) => [st, summarize(ok.flatMap((s) => (st in s.server ? [s.server[st]!] : [])))]),
    ),
    count: samples.length,
    errors: samples.length - ok.length,
    kv_reads: kvReadsSummary(ok.flatMap((s) => (s.kvReads === null ? [] : [s.kvReads]))),
  };
}

/** KV reads per request: mean, p50, p95, max; null when no response counted them. */
function kvReadsSummary(values: number[]): { mean: number; p50: number; p95: number; max: number } | null {
  if (values.length === 0) return null;
  return { mean: round(values.reduce((a, b) => a + b, 0) / values.length), p50: quantile(values, 0.5), p95: quantile(values, 0.95), max: Math.max(...values) };
}
