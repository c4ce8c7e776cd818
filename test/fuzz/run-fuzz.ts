import fc from "fast-check";
import { expect } from "vitest";
import { type FuzzRequest, isErrorEnvelope } from "./hostile-requests";

export interface FuzzRun {
  suite: string;
  requests: fc.Arbitrary<FuzzRequest>;
  /** Sends one request from the given client address (a fresh one per case keeps the rate limits out of the way). */
  send: (request: FuzzRequest, clientIp: string) => Promise<Response>;
  /** Everything a request could have written, as one comparable string. */
  stateDigest: () => Promise<string>;
  runs: number;
  seed: number;
}

/**
 * The property both fuzz suites assert, case by case: never a 5xx; a
 * hostile request is refused (4xx); every refusal is the error envelope
 * with a code; and the state digest is the same after the request as
 * before it. Logs and returns how many cases ran, by status and by kind.
 */
export async function runFuzz(run: FuzzRun): Promise<{ cases: number; byStatus: Record<number, number>; byKind: Record<string, number> }> {
  const byKind = new Map<string, number>();
  const byStatus = new Map<number, number>();
  let before = await run.stateDigest();
  await fc.assert(
    fc.asyncProperty(run.requests, fc.ipV4(), async (request, ip) => {
      const res = await run.send(request, ip);
      const text = await res.text();
      const label = `${request.what}: ${request.method} ${request.path.slice(0, 200)} -> ${res.status} ${text.slice(0, 300)}`;
      expect(res.status, label).toBeLessThan(500);
      if (request.kind === "hostile") expect(res.status, label).toBeGreaterThanOrEqual(400);
      if (res.status >= 400 && request.method !== "HEAD") expect(isErrorEnvelope(JSON.parse(text)), label).toBe(true);
      const after = await run.stateDigest();
      expect(after, label).toBe(before);
      before = after;
      byKind.set(request.what, (byKind.get(request.what) ?? 0) + 1);
      byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
    }),
    { numRuns: run.runs, seed: run.seed },
  );
  const report = {
    cases: [...byKind.values()].reduce((a, b) => a + b, 0),
    byStatus: Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])),
    byKind: Object.fromEntries(byKind),
  };
  console.log(JSON.stringify({ suite: run.suite, ...report }));
  return report;
}
