/**
 * Request metrics as per-minute counters: each request adds to the fields of
 * its minute's hash (Redis HINCRBY), which an operator summarizes over any
 * window (GET /admin/metrics). Latency is kept as a histogram with
 * power-of-two buckets, so percentiles come back within a factor of two per
 * bucket and merge across isolates and minutes by plain addition.
 */

/** What a request says about itself once answered. */
export interface RequestMetric {
  /** The matched route pattern, e.g. "/v1/recommendations". */
  route: string;
  status: number;
  /** Wall time the request waited (in workerd: I/O waits; CPU work does not move the clock). */
  waitMs: number;
  surface?: string;
  cache?: "hit" | "miss";
  /** The order that served the list: heavy, light, or a single source's ("source:ann"). */
  ranker?: string;
  degraded?: readonly string[];
  /** Items shown (recommendations), for CTR. */
  shown?: number;
}

/** Upper bounds (ms) of the latency buckets; the last is open. */
export const LATENCY_BOUNDS_MS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, Infinity] as const;

export function latencyBucket(ms: number): number {
  const i = LATENCY_BOUNDS_MS.findIndex((bound) => ms < bound);
  return i < 0 ? LATENCY_BOUNDS_MS.length - 1 : i;
}

const FIELD_SEP = "|";

/** The counter fields one request increments. */
export function metricFields(m: RequestMetric): Map<string, number> {
  const f = new Map<string, number>();
  const add = (...parts: (string | number)[]) => {
    const key = parts.join(FIELD_SEP);
    f.set(key, (f.get(key) ?? 0) + 1);
  };
  add("req", m.route, `${Math.floor(m.status / 100)}xx`);
  add("lat", m.route, latencyBucket(m.waitMs));
  if (m.degraded?.length) {
    add("deg", m.route);
    for (const code of m.degraded) add("degcode", code);
  }
  if (m.cache) add("cache", m.route, m.cache);
  if (m.ranker) add("ranker", m.ranker);
  if (m.surface && m.shown) f.set(["shown", m.surface].join(FIELD_SEP), m.shown);
  return f;
}

/** The counter field a click on an item shown on `surface` increments. */
export function clickField(surface: string): string {
  return ["click", surface].join(FIELD_SEP);
}

export interface RouteSummary {
  requests: number;
  /** Upper bounds of the buckets holding the 50th and 95th percentiles (ms). */
  p50Ms: number;
  p95Ms: number;
  clientErrorShare: number;
  serverErrorShare: number;
  degradedShare: number;
  cacheHitRate: number | null;
}

export interface MetricsSummary {
  minutes: number;
  routes: Record<string, RouteSummary>;
  /** Share of recommendation answers ordered by the heavy ranker. */
  heavyShare: number | null;
  /** Recommendation answers by the order that served them (heavy, light, source:…). */
  orders: Record<string, number>;
  /** Clicks per item shown, by surface. */
  ctr: Record<string, { shown: number; clicks: number; ctr: number }>;
  degradedCodes: Record<string, number>;
}

/** Sums minute hashes (field -> count) and reads percentiles, shares and rates from them. */
export function summarizeMetrics(minuteHashes: readonly Record<string, number>[]): MetricsSummary {
  const total = new Map<string, number>();
  for (const hash of minuteHashes) for (const [field, n] of Object.entries(hash)) total.set(field, (total.get(field) ?? 0) + Number(n));
  const get = (...parts: (string | number)[]) => total.get(parts.join(FIELD_SEP)) ?? 0;
  const routes = new Set<string>();
  const surfaces = new Set<string>();
  const orderCounts = new Map<string, number>();
  const degradedCodes: Record<string, number> = {};
  for (const [field, n] of total) {
    const [kind, a] = field.split(FIELD_SEP);
    if (kind === "req" && a) routes.add(a);
    if ((kind === "shown" || kind === "click") && a) surfaces.add(a);
    if (kind === "degcode" && a) degradedCodes[a] = n;
    if (kind === "ranker" && a) orderCounts.set(a, n);
  }
  const share = (x: number, of: number) => (of > 0 ? round(x / of) : 0);
  const summary: MetricsSummary = { minutes: minuteHashes.length, routes: {}, heavyShare: null, orders: {}, ctr: {}, degradedCodes };
  for (const route of [...routes].sort()) {
    const byClass = (c: string) => get("req", route, c);
    const requests = ["2xx", "3xx", "4xx", "5xx"].reduce((s, c) => s + byClass(c), 0);
    const hist = LATENCY_BOUNDS_MS.map((_, b) => get("lat", route, b));
    const hits = get("cache", route, "hit");
    const misses = get("cache", route, "miss");
    summary.routes[route] = {
      requests,
      p50Ms: percentileBound(hist, 0.5),
      p95Ms: percentileBound(hist, 0.95),
      clientErrorShare: share(byClass("4xx"), requests),
      serverErrorShare: share(byClass("5xx"), requests),
      degradedShare: share(get("deg", route), requests),
      cacheHitRate: hits + misses > 0 ? share(hits, hits + misses) : null,
    };
  }
  const answers = [...orderCounts.values()].reduce((a, b) => a + b, 0);
  summary.orders = Object.fromEntries(orderCounts);
  summary.heavyShare = answers > 0 ? share(orderCounts.get("heavy") ?? 0, answers) : null;
  for (const surface of [...surfaces].sort()) {
    const shown = get("shown", surface);
    const clicks = get("click", surface);
    summary.ctr[surface] = { shown, clicks, ctr: share(clicks, shown) };
  }
  return summary;
}

/** The upper bound of the bucket where the cumulative count first reaches q of the total; 0 for no data. */
export function percentileBound(hist: readonly number[], q: number): number {
  const n = hist.reduce((a, b) => a + b, 0);
  if (n === 0) return 0;
  let seen = 0;
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b]!;
    if (seen >= q * n) return LATENCY_BOUNDS_MS[b]!;
  }
  return Infinity;
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** The Redis hash of a minute's counters. */
export const metricsKey = (minute: number): string => `metrics:${minute}`;
/** How long minute counters are kept. */
export const METRICS_TTL_S = 2 * 86_400;
