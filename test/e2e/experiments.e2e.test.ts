import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { opeCommand, parsePolicy, replayRefusal } from "../../index-builder/src/experiments/experiment-commands";
import { replayThroughIndex } from "../../index-builder/src/experiments/index-replay";
import { readDecisionSnapshots, readEventLog, readImpressionLog } from "../../index-builder/src/experiments/redis-logs";
import { decisionSnapshotKey, decodeDecisionSnapshot } from "../../shared/experiments/decision-snapshots";
import { type ImpressionRecord } from "../../shared/experiments/exposure";
import { plackettLuceMarginals } from "../../shared/ranking/policy/softmax-exploration";
import { assign } from "../../shared/experiments/assignment";
import { parseExperimentDefinition } from "../../shared/experiments/experiment-input";
import { EXPERIMENTS_FRESH_MS, type Experiment } from "../../shared/experiments/experiment";
import { type ExperimentReport } from "../../shared/experiments/report";
import { IMPRESSION_STREAM_KEY } from "../../shared/online/redis-keys";
import { streamEntries } from "../../index-builder/src/ingest/redis-stream";
import { serverClient, sharedCredentials } from "./client";
import { poll, redisClient } from "./stream-helpers";

const redis = redisClient(inject("redisUrl"), inject("redisToken"));
const server = serverClient(sharedCredentials());
const experiments = server.admin.experiments;
const start = (experimentId: string) => experiments[":id"].start.$post({ param: { id: experimentId } });
const stop = (experimentId: string) => experiments[":id"].stop.$post({ param: { id: experimentId } });
const id = `e2e-${Date.now()}`;

interface Recs {
  impressionId: string;
  region: string;
  experiment: string | null;
  variant: string;
  experiments: { experiment: string; variant: string }[];
  items: { itemId: string }[];
}

const recs = async (user: string) => (await (await server.v1.recommendations.$get({ query: { user_id: user, limit: "5" } })).json()) as Recs;
const click = (user: string, n: number, r: Recs) =>
  server.v1.events.$post({
    json: {
      events: [
        { eventId: `${user}-c${n}`, userId: user, itemId: r.items[0]!.itemId, type: "click", timestamp: Date.now() - 500, impressionId: r.impressionId },
      ],
    },
  });

/**
 * A salt derived from the definition's id under which the served assignment puts at least 3 of `users` in each
 * variant, so no test hangs on a lopsided draw. The definition is parsed as the admin API parses it (only the
 * fields assignment reads matter).
 */
const balancedSalt = (definition: { id: string; variants: Record<string, unknown> }, users: string[]) =>
  Array.from({ length: 100 }, (_, n) => `${definition.id}-salt${n}`).find((salt) => {
    const e = parseExperimentDefinition({ ...definition, salt }) as Experiment;
    return Object.keys(definition.variants).every((v) => users.filter((u) => assign(e, u, "global").variant === v).length >= 3);
  })!;

/** `index-builder ope` over the stack's logs, with a short bootstrap. */
const ope50 = (policies: string[], options: { experiment: string; outDir: string; indexRoot?: string }) =>
  opeCommand({
    redis: { url: inject("redisUrl"), token: inject("redisToken") },
    policies: policies.map(parsePolicy),
    bootstrap: 50,
    log: () => {},
    ...options,
  });

afterAll(async () => {
  // The stack is shared with the other e2e files: leave nothing running.
  for (const e of [id, `${id}-sm`, `${id}-p`]) await stop(e);
  // The item added below is clicked by every user here: withdrawn, it cannot crowd the other files' lists through trending or fresh.
  const item = { itemId: `${id}-new`, title: "Added after the build", categories: ["Drama"], year: 2026, tags: [], available: false };
  await server.admin.catalog.items.$post({ json: { items: [item] } });
});

describe("an experiment over HTTP with a real Redis", () => {
  it("logs exposures, attributes clicks per user, and reports them with SRM, CUPED and guardrails", async () => {
    const users = Array.from({ length: 12 }, (_, i) => `${id}-u${i}`);
    // A catalogue change after the build: every list below carries an overlay, which a replay must use as the Worker did.
    const added = { itemId: `${id}-new`, title: "Added after the build", categories: ["Drama"], year: 2026, tags: [], available: true };
    expect((await server.admin.catalog.items.$post({ json: { items: [added] } })).status).toBe(200);
    // A pre-period: each user is shown a list and clicks once before the experiment starts; every third is shown one more list.
    for (const [i, user] of users.entries()) {
      expect((await click(user, 100 + i, await recs(user))).status).toBe(200);
      if (i % 3 === 0) await recs(user);
    }

    // With a salt left to the id, 12 users split 11/1 now and then, and CUPED (2 users a variant) is rightly off once user 0 is deleted below.
    const definition = { id, control: "a", variants: { a: {}, b: { policy: { mmrLambda: 1 } } }, allocation: { default: { a: 50, b: 50 } } };
    const salt = balancedSalt(definition, users.slice(1));
    const created = await experiments.$post({ json: { ...definition, salt } });
    expect(created.status).toBe(201);
    const started = await start(id);
    expect(started.status).toBe(200);
    const experiment = ((await started.json()) as { experiment: Experiment }).experiment;
    expect(experiment.salt).toBe(salt);

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
      async () => (await (await experiments[":id"].report.$get({ param: { id }, query: {} })).json()) as ExperimentReport,
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
      const ope = await ope50(["epsilon:0.3", `index:${inject("indexDir")}`], { experiment: id, outDir: scratch });
      expect(ope.impressions).toBe(24);
      const [epsilon, replay] = ope.candidates;
      expect(epsilon!.positionSamples).toBe(24 * 5);
      // The version that served the lists, replayed on every logged context.
      expect(replay!.policy).toContain(inject("indexVersion"));
      // Decided again from the logs alone (decision records, events with their session versions, the built version).
      expect(replay!.replay).toMatchObject({ impressions: 24, positions: 120, versionsMissing: [] });
      // Each list used the overlay and a trending list, both replayed from the snapshots its record names, none recounted.
      expect(replay!.replay!.unreplayable).toEqual({});
      expect(replay!.replay!.trendingRecounted).toBe(0);
      const decisions = (await readImpressionLog(redis)).filter((x) => x.experiments?.some((e) => e.experimentId === id)).map((x) => x.decision!);
      expect(decisions).toHaveLength(24);
      expect(decisions.every((d) => d.overlayRows > 0 && d.overlaySnapshot !== undefined && d.trendingSnapshot !== undefined)).toBe(true);
      const stored = await redis.get(decisionSnapshotKey(decisions[0]!.overlaySnapshot!));
      const overlay = decodeDecisionSnapshot(typeof stored === "string" ? stored : JSON.stringify(stored));
      expect(overlay?.kind === "overlay" && overlay.rows.find((r) => r.itemId === added.itemId)).toMatchObject(added);
      if (replay!.replay!.share < 1) console.info("replay mismatches", JSON.stringify(replay!.replay!.mismatches));
      expect(replay!.replay!.share).toBeGreaterThanOrEqual(0.99);
      expect(replay!.refused).toBeUndefined();
      expect(replay!.impressionsUsed).toBe(24);
      expect(replay!.positionSamples).toBe(24 * 5);
      expect(JSON.parse(await readFile(join(scratch, "ope.json"), "utf8")).candidates).toHaveLength(2);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }

    // A privacy deletion takes the user out of the experiment's attribution and activity counts.
    expect((await server.v1.users[":id"].$delete({ param: { id: users[0]! } })).status).toBe(200);
    expect(await redis.hget(`xu:${id}`, users[0]!)).toBeNull();
    expect(await redis.exists(`ua:${users[0]}`)).toBe(0);

    const markdown = await (await experiments[":id"].report.$get({ param: { id }, query: { format: "markdown" } })).text();
    expect(markdown).toContain(`# Experiment ${id}`);
    expect(markdown).toMatch(/SRM: chi-square/);
    // The deleted user is out of the pre-period too.
    expect(markdown).toMatch(/CUPED: on \(11 users with a pre-period\)/);
  });

  it("serves a variant's softmax exploration with exact logged propensities, and replays every logged list, cached and paged ones too", async () => {
    await stop(id);
    const sm = `${id}-sm`;
    const softmax = { policy: "softmax" as const, temperature: 0.05, topN: 6, from: 2 };
    const definition = { id: sm, layer: "explore", control: "a", variants: { a: {}, b: { exploration: softmax } }, allocation: { default: { a: 50, b: 50 } } };
    // Both variants' logs are checked below: at least 3 of the 10 users in each.
    const salt = balancedSalt(
      definition,
      Array.from({ length: 10 }, (_, i) => `${sm}-u${i}`),
    );
    const created = await experiments.$post({ json: { ...definition, salt } });
    expect(created.status).toBe(201);
    expect((await start(sm)).status).toBe(200);

    type Page = Omit<Recs, "items"> & { nextCursor: string | null; items: { itemId: string; score: number; propensity: number }[] };
    type Query = Omit<Parameters<typeof server.v1.recommendations.$get>[0]["query"], "user_id">;
    const get = async (user: string, query: Query) => {
      const res = await server.v1.recommendations.$get({ query: { user_id: user, ...query } });
      expect(res.status).toBe(200);
      return { body: (await res.json()) as Page, cache: res.headers.get("X-Cache") };
    };
    const clickOn = async (user: string, n: number, page: Page) => {
      // Exposures are written after the response; a click follows a list by more than that.
      await new Promise((res) => setTimeout(res, 60));
      expect((await click(user, n, page)).status).toBe(200);
    };
    const shown: Page[] = [];
    let hits = 0;
    for (let i = 0; i < 10; i++) {
      const user = `${sm}-u${i}`;
      const first = await get(user, { limit: "10" });
      const again = await get(user, { limit: "10" });
      // Nothing changed the session: the same list, from the cache, a showing of its own.
      expect(again.body.items).toEqual(first.body.items);
      if (again.cache === "hit") hits++;
      await clickOn(user, 0, first.body);
      const second = await get(user, { limit: "10" });
      const next = await get(user, { limit: "10", cursor: second.body.nextCursor! });
      const upNext = await get(user, { limit: "10", surface: "up_next", item_id: second.body.items[1]!.itemId });
      await clickOn(user, 1, upNext.body);
      shown.push(first.body, again.body, second.body, next.body, upNext.body);
    }
    expect(hits).toBeGreaterThan(0);

    const logged = await poll(
      async () =>
        streamEntries(await redis.xrevrange(IMPRESSION_STREAM_KEY, "+", "-", 500))
          .map(([, f]) => JSON.parse(f.impression ?? "{}") as ImpressionRecord)
          .filter((x) => x.experiments?.some((e) => e.experimentId === sm)),
      (xs) => xs.length >= shown.length,
      10_000,
    );
    expect(logged).toHaveLength(shown.length);
    let explored = 0;
    for (const imp of logged) {
      const variant = imp.experiments.find((e) => e.experimentId === sm)!.variant;
      const served = shown.find((p) => p.impressionId === imp.impressionId)!;
      // What the response says is what the log holds, to the last bit.
      expect(imp.propensities).toEqual(served.items.map((x) => x.propensity));
      if (variant === "a") {
        expect(imp.exploration).toMatchObject({ policy: "epsilon" });
        continue;
      }
      const { window, ...ran } = imp.exploration as { window: number[] };
      expect(ran).toEqual(softmax);
      // The reference: Plackett–Luce marginals of the logged window's scores; each slot's column sums to 1.
      const marginals = plackettLuceMarginals(window, softmax.temperature);
      for (let k = 0; k < window.length; k++) expect(window.reduce((sum, _, j) => sum + marginals[j * window.length + k]!, 0)).toBeCloseTo(1, 12);
      imp.itemIds.forEach((_, k) => {
        const slot = imp.decision!.positions[k]! - (softmax.from - 1);
        if (slot < 0 || slot >= window.length) return expect(imp.propensities[k]).toBe(1);
        expect(imp.propensities[k]).toBe(marginals[window.indexOf(imp.scores[k]!) * window.length + slot]);
        if (imp.propensities[k]! < 0.99) explored++;
      });
    }
    expect(explored).toBeGreaterThan(0);

    const scratch = await mkdtemp(join(tmpdir(), "ope-e2e-"));
    try {
      const ope = await ope50(["softmax:0.1:6:2", `index:${inject("indexDir")}`], { experiment: sm, outDir: scratch });
      const [other, replay] = ope.candidates;
      // Another temperature over the same window: exact from every log (softmax logs carry the window, epsilon pages show it).
      expect(other!.impressionsSkipped).toBe(0);
      // Cached showings, later pages and up next, with both exploration policies: all decided again as logged.
      console.info(`replaying the logging policy: ${replay!.replay!.reproduced} of ${replay!.replay!.positions} logged positions reproduced`);
      expect(replay!.replay).toMatchObject({ impressions: shown.length, trendingRecounted: 0 });
      expect(replay!.replay!.unreplayable).toEqual({});
      expect(replay!.replay!.share).toBeGreaterThanOrEqual(0.99);
      expect(replay!.clicksPerList).not.toBeNull();

      // Without the versions that served the logs, the replay cannot be checked: the estimates are withheld.
      const empty = await mkdtemp(join(tmpdir(), "ope-e2e-root-"));
      const blind = await ope50([`index:${inject("indexDir")}`], { experiment: sm, indexRoot: empty, outDir: scratch });
      await rm(empty, { recursive: true, force: true });
      expect(blind.candidates[0]).toMatchObject({ clicksPerList: null, refused: expect.stringContaining("cannot be checked") });
      expect(await readFile(join(scratch, "ope.md"), "utf8")).toContain("REFUSED");

      // A log that lost the clicks rebuilds the wrong sessions: the replay says so and is refused.
      const impressions = (await readImpressionLog(redis)).filter((x) => x.experiments?.some((e) => e.experimentId === sm));
      const events = (await readEventLog(redis)).filter((e) => e.type !== "click");
      const lossy = await replayThroughIndex(
        { candidate: inject("indexDir"), logged: new Map([[inject("indexVersion"), inject("indexDir")]]) },
        impressions,
        impressions,
        events,
        await readDecisionSnapshots(redis, impressions),
      );
      console.info(`without the clicks in the event log: ${(lossy.reproduction.share * 100).toFixed(1)}% of logged positions reproduced`);
      expect(lossy.reproduction.share).toBeLessThan(0.99);
      expect(replayRefusal(lossy.reproduction)).toMatch(/reproduces .*% of logged positions/);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    expect((await stop(sm)).status).toBe(200);
  });

  it("serves an experiment started or stopped through the admin API within the refresh interval, never a stopped variant's cached list", async () => {
    const p = `${id}-p`;
    const user = `${p}-u`;
    const get = async () => {
      const res = await server.v1.recommendations.$get({ query: { user_id: user, limit: "10" } });
      expect(res.status).toBe(200);
      return { body: (await res.json()) as Recs, cache: res.headers.get("X-Cache") };
    };
    /** Requests every 100 ms until `done`; how long after `sinceMs` the first such answer came. */
    const until = async (done: (r: { body: Recs; cache: string | null }) => boolean, sinceMs: number) => {
      for (;;) {
        const r = await get();
        const elapsedMs = Date.now() - sinceMs;
        if (done(r)) return { ...r, elapsedMs };
        expect(elapsedMs).toBeLessThan(EXPERIMENTS_FRESH_MS + 2_000);
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    const before = await get();
    expect(before.body.experiments).toEqual([]);
    const variant = { policy: { mmrLambda: 0.5, explorationRate: 0 } };
    expect(
      (await experiments.$post({ json: { id: p, control: "a", variants: { a: variant, b: variant }, allocation: { default: { a: 50, b: 50 } } } })).status,
    ).toBe(201);
    const startedMs = Date.now();
    expect((await start(p)).status).toBe(200);
    const inside = await until((r) => r.body.experiment === p, startedMs);
    console.info(`started experiment served after ${inside.elapsedMs} ms (refresh interval ${EXPERIMENTS_FRESH_MS} ms)`);
    // The variant's list, cached under its own key.
    expect((await get()).cache).toBe("hit");

    const stoppedMs = Date.now();
    expect((await stop(p)).status).toBe(200);
    const after = await until((r) => r.body.experiment === null, stoppedMs);
    console.info(`stopped experiment gone after ${after.elapsedMs} ms`);
    // Out of the experiment, the user gets the list of no variant (the one cached before it started), not the stopped variant's.
    expect(after.body.variant).toBe("default");
    expect(after.body.items).toEqual(before.body.items);
    expect(after.body.items).not.toEqual(inside.body.items);
    for (let i = 0; i < 3; i++) expect((await get()).body).toMatchObject({ experiment: null, variant: "default" });
  });
  it("reads a variant's counters by the label lists are logged under, per region and summed over regions", async () => {
    const ct = `${id}-ct`;
    const users = Array.from({ length: 8 }, (_, i) => `${ct}-u${i}`);
    const regionOf = (i: number) => (i % 2 === 0 ? "us" : "br");
    const definition = { id: ct, layer: "counters", control: "a", variants: { a: {}, b: {} }, allocation: { default: { a: 50, b: 50 } } };
    expect((await experiments.$post({ json: { ...definition, salt: balancedSalt(definition, users) } })).status).toBe(201);
    expect((await start(ct)).status).toBe(200);
    try {
      // Each user is shown a list from their region (X-Region, as a server names it) and clicks its first item.
      const expected = new Map<string, Map<string, number>>();
      for (const [i, user] of users.entries()) {
        const res = await server.v1.recommendations.$get({ query: { user_id: user, limit: "5" } }, { headers: { "X-Region": regionOf(i) } });
        const r = (await res.json()) as Recs;
        expect(r.region).toBe(regionOf(i));
        expect(r.experiments.map((x) => x.experiment)).toContain(ct);
        const label = r.experiments.map((x) => `${x.experiment}=${x.variant}`).join("+");
        const byRegion = expected.get(label) ?? new Map<string, number>();
        expected.set(label, byRegion.set(r.region, (byRegion.get(r.region) ?? 0) + 1));
        await new Promise((res) => setTimeout(res, 60));
        expect((await click(user, 0, r)).status).toBe(200);
      }
      expect([...expected.keys()].some((label) => label.includes(`${ct}=b`))).toBe(true);
      const counters = (variant: string, query: { region?: string }) =>
        server.admin.experiments[":variant"].counters.$get({ param: { variant }, query }).then(async (res) => {
          expect(res.status, await res.clone().text()).toBe(200);
          return (await res.json()) as { variant: string; region: string; counters: Record<string, number>; regions?: Record<string, Record<string, number>> };
        });
      for (const [label, byRegion] of expected) {
        const total = [...byRegion.values()].reduce((a, b) => a + b, 0);
        // Impressions are written after the response, clicks as they are delivered: wait for all of them.
        const all = await poll(
          () => counters(label, {}),
          (b) => b.counters["ev:click"] === total && b.counters.impressions === total,
          10_000,
        );
        expect(all).toEqual({
          variant: label,
          region: "all",
          counters: { impressions: total, "ev:click": total },
          regions: Object.fromEntries([...byRegion].map(([region, n]) => [region, { impressions: n, "ev:click": n }])),
        });
        for (const [region, n] of byRegion) expect((await counters(label, { region })).counters).toEqual({ impressions: n, "ev:click": n });
        // The label as a path segment with "=" and "+" escaped reads the same counters.
        const escaped = await fetch(`${inject("baseUrl")}/admin/experiments/${encodeURIComponent(label)}/counters`, {
          headers: { Authorization: `Bearer ${inject("adminKey")}` },
        });
        expect(((await escaped.json()) as { counters: Record<string, number> }).counters).toEqual(all.counters);
      }
    } finally {
      await stop(ct);
    }
  });
});
