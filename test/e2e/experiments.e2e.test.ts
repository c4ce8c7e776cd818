import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { opeCommand, parsePolicy } from "../../index-builder/src/experiments/experiment-commands";
import { assign } from "../../shared/experiments/assignment";
import { type Experiment } from "../../shared/experiments/experiment";
import { type ExperimentReport } from "../../shared/experiments/report";
import { IMPRESSION_STREAM_KEY } from "../../shared/online/redis-keys";
import { streamEntries } from "../../index-builder/src/ingest/redis-stream";
import { serverFetch, sharedCredentials } from "./client";
import { poll, redisClient } from "./stream-helpers";

const base = inject("baseUrl");
const admin = { Authorization: `Bearer ${inject("adminKey")}` };
const redis = redisClient(inject("redisUrl"), inject("redisToken"));
const api = serverFetch(sharedCredentials());
const json = (method: string, body: unknown) => ({ method, headers: { "Content-Type": "application/json", ...admin }, body: JSON.stringify(body) });
const id = `e2e-${Date.now()}`;

interface Recs {
  impressionId: string;
  region: string;
  experiment: string | null;
  variant: string;
  items: { itemId: string }[];
}

const recs = async (user: string) => (await (await api(`${base}/v1/recommendations?user_id=${user}&limit=5`)).json()) as Recs;
const click = (user: string, n: number, r: Recs) =>
  api(`${base}/v1/events`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      events: [
        { eventId: `${user}-c${n}`, userId: user, itemId: r.items[0]!.itemId, type: "click", timestamp: Date.now() - 500, impressionId: r.impressionId },
      ],
    }),
  });

afterAll(async () => {
  // The stack is shared with the other e2e files: leave nothing running.
  await fetch(`${base}/admin/experiments/${id}/stop`, { method: "POST", headers: admin });
});

describe("an experiment over HTTP with a real Redis", () => {
  it("logs exposures, attributes clicks per user, and reports them with SRM, CUPED and guardrails", async () => {
    const users = Array.from({ length: 12 }, (_, i) => `${id}-u${i}`);
    // A pre-period: each user is shown a list and clicks once before the experiment starts; every third is shown one more list.
    for (const [i, user] of users.entries()) {
      expect((await click(user, 100 + i, await recs(user))).status).toBe(200);
      if (i % 3 === 0) await recs(user);
    }

    const created = await fetch(
      `${base}/admin/experiments`,
      json("POST", { id, control: "a", variants: { a: {}, b: { policy: { mmrLambda: 1 } } }, allocation: { default: { a: 50, b: 50 } } }),
    );
    expect(created.status).toBe(201);
    const started = await fetch(`${base}/admin/experiments/${id}/start`, { method: "POST", headers: admin });
    expect(started.status).toBe(200);
    const experiment = ((await started.json()) as { experiment: Experiment }).experiment;

    // Two lists per user; every user clicks on the first, users 0-5 on the second too.
    const shown: Recs[] = [];
    for (const [i, user] of users.entries()) {
      for (let k = 0; k < 2; k++) {
        const r = await recs(user);
        expect(r).toMatchObject({ experiment: id, variant: assign(experiment, user, "global").variant });
        shown.push(r);
        // Exposures are written after the response; a click follows a list by more than that.
        await new Promise((res) => setTimeout(res, 60));
        if (k === 0 || i < 6) expect((await click(user, k, r)).status).toBe(200);
      }
    }

    const report = await poll(
      async () => (await (await fetch(`${base}/admin/experiments/${id}/report`, { headers: admin })).json()) as ExperimentReport,
      (r) => r.pooled.variants.reduce((n, v) => n + (v.events.click ?? 0), 0) >= 18,
      10_000,
    );
    const expectedUsers = (v: string) => users.filter((u) => assign(experiment, u, "global").variant === v).length;
    for (const v of report.pooled.variants) {
      expect(v.users).toBe(expectedUsers(v.variant));
      expect(v.impressions).toBe(2 * v.users);
      const clicks = users.filter((u) => assign(experiment, u, "global").variant === v.variant).map((u) => (users.indexOf(u) < 6 ? 2 : 1));
      expect(v.events.click ?? 0).toBe(clicks.reduce((a, b) => a + b, 0));
    }
    expect(report.pooled.cuped).toMatchObject({ on: true, usersWithPrePeriod: 12 });
    expect(report.regions.map((r) => r.scope)).toEqual([shown[0]!.region]);
    expect(report.pooled.srm.df).toBe(1);
    expect(report.guardrails.map((g) => g.impressions).reduce((a, b) => a + b, 0)).toBe(24);
    expect(report.guardrails.every((g) => g.serverP95Ms === null || g.serverP95Ms > 0)).toBe(true);

    // The exposure log holds the slate with positions, scores and propensities under the impression id.
    const entries = streamEntries(await redis.xrevrange(IMPRESSION_STREAM_KEY, "+", "-", 200));
    const logged = entries.map(([, f]) => JSON.parse(f.impression ?? "{}") as Record<string, unknown>).find((x) => x.impressionId === shown[0]!.impressionId);
    expect(logged).toMatchObject({ experiments: [{ experimentId: id, variant: shown[0]!.variant }], ranks: [1, 2, 3, 4, 5] });
    expect((logged!.scores as number[]).length).toBe(5);
    expect((logged!.propensities as number[]).every((p) => p > 0 && p <= 1)).toBe(true);

    // Off-policy estimates from the same logs: another exploration rate, and the served index replayed offline.
    const scratch = await mkdtemp(join(tmpdir(), "ope-e2e-"));
    try {
      const ope = await opeCommand({
        redis: { url: inject("redisUrl"), token: inject("redisToken") },
        policies: [parsePolicy("epsilon:0.3"), parsePolicy(`index:${inject("indexDir")}`)],
        experiment: id,
        outDir: scratch,
        bootstrap: 50,
        log: () => {},
      });
      expect(ope.impressions).toBe(24);
      const [epsilon, replay] = ope.candidates;
      expect(epsilon!.positionSamples).toBe(24 * 5);
      // The version that served the lists, replayed on every logged context.
      expect(replay!.policy).toContain(inject("indexVersion"));
      console.info(`replay: ${JSON.stringify(replay!.replay)} refused: ${replay!.refused}`);
      expect(replay!.impressionsUsed).toBe(24);
      expect(replay!.positionSamples).toBe(24 * 5);
      expect(JSON.parse(await readFile(join(scratch, "ope.json"), "utf8")).candidates).toHaveLength(2);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }

    // A privacy deletion takes the user out of the experiment's attribution and activity counts.
    expect((await api(`${base}/v1/users/${users[0]}`, { method: "DELETE" })).status).toBe(200);
    expect(await redis.hget(`xu:${id}`, users[0]!)).toBeNull();
    expect(await redis.exists(`ua:${users[0]}`)).toBe(0);

    const markdown = await (await fetch(`${base}/admin/experiments/${id}/report?format=markdown`, { headers: admin })).text();
    expect(markdown).toContain(`# Experiment ${id}`);
    expect(markdown).toMatch(/SRM: chi-square/);
    expect(markdown).toMatch(/CUPED: on/);
  });
});
