import { describe, expect, it } from "vitest";
import { SeededRandom } from "../seeded-random";
import { clickField, LATENCY_BOUNDS_MS, latencyBucket, metricFields, type RequestMetric, summarizeMetrics } from "./request-metrics";

/** Adds metrics into minute hashes as Redis HINCRBY would. */
function minutes(metrics: RequestMetric[][], clicks: string[][] = []): Record<string, number>[] {
  return metrics.map((list, i) => {
    const hash: Record<string, number> = {};
    for (const m of list) for (const [f, n] of metricFields(m)) hash[f] = (hash[f] ?? 0) + n;
    for (const surface of clicks[i] ?? []) hash[clickField(surface)] = (hash[clickField(surface)] ?? 0) + 1;
    return hash;
  });
}

describe("request metrics", () => {
  it("buckets latency by powers of two", () => {
    expect([0, 0.9, 1, 3, 4, 1000, 5000].map(latencyBucket)).toEqual([0, 0, 1, 2, 3, 10, LATENCY_BOUNDS_MS.length - 1]);
  });

  it("puts each percentile in the bucket that holds it, against a sort of the raw values", () => {
    const rng = new SeededRandom(3);
    const waits = Array.from({ length: 2000 }, () => Math.exp(rng.gaussian() * 1.5 + 2));
    const summary = summarizeMetrics(
      minutes([waits.slice(0, 1000), waits.slice(1000)].map((w) => w.map((waitMs) => ({ route: "/v1/x", status: 200, waitMs })))),
    );
    const sorted = [...waits].sort((a, b) => a - b);
    for (const [q, got] of [
      [0.5, summary.routes["/v1/x"]!.p50Ms],
      [0.95, summary.routes["/v1/x"]!.p95Ms],
    ] as const) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      expect(got).toBe(LATENCY_BOUNDS_MS[latencyBucket(exact)]);
    }
  });

  it("sums minutes and reads shares, cache hit rate, heavy share and CTR per surface", () => {
    const recs = (status: number, cache: "hit" | "miss", ranker: "heavy" | "light", degraded: string[] = []): RequestMetric => ({
      route: "/v1/recommendations",
      status,
      waitMs: 3,
      surface: "home",
      cache,
      ranker,
      degraded,
      shown: 10,
    });
    const s = summarizeMetrics(
      minutes(
        [
          [recs(200, "miss", "heavy", ["trending_timeout"]), recs(200, "hit", "light")],
          [recs(200, "hit", "light"), recs(400, "miss", "light"), { route: "/v1/events", status: 500, waitMs: 9 }],
        ],
        [["home", "home"], ["home"]],
      ),
    );
    expect(s.minutes).toBe(2);
    expect(s.routes["/v1/recommendations"]).toMatchObject({ requests: 4, clientErrorShare: 0.25, serverErrorShare: 0, degradedShare: 0.25, cacheHitRate: 0.5 });
    expect(s.routes["/v1/events"]).toMatchObject({ requests: 1, serverErrorShare: 1, cacheHitRate: null });
    expect(s.heavyShare).toBe(0.25);
    expect(s.ctr.home).toEqual({ shown: 40, clicks: 3, ctr: 0.075 });
    expect(s.degradedCodes).toEqual({ trending_timeout: 1 });
  });
});
