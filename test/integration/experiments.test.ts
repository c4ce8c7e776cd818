import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { assign, experimentsFor } from "../../shared/experiments/assignment";
import { type Experiment } from "../../shared/experiments/experiment";
import { plackettLuceMarginals } from "../../shared/ranking/policy/softmax-exploration";
import { EXPERIMENTS_FRESH_MS, forgetExperiments, saveExperiment } from "../../worker/src/experiments/experiment-store";
import { readConfigSnapshot } from "../../worker/src/config/config-store";
import { forgetRecentLists, listCacheKey } from "../../worker/src/list-cache/list-cache";
import { adminCall, browserCall, call, demoCatalog, freshUser, jsonInit, pollUntil, publishDemo, rawCall, userToken } from "./fixtures";

interface RecsBody {
  indexVersion: string;
  region: string;
  experiment: string | null;
  variant: string;
  experiments: { experiment: string; variant: string }[];
  items: { itemId: string }[];
}

const create = (body: object) => adminCall("/admin/experiments", jsonInit("POST", body));
const start = (id: string) => adminCall(`/admin/experiments/${id}/start`, { method: "POST" });
const stop = (id: string) => adminCall(`/admin/experiments/${id}/stop`, { method: "POST" });
const get = async (id: string) => (await adminCall(`/admin/experiments/${id}`)).json<{ experiment: Experiment; audit: { action: string }[] }>();
const list = async () => (await (await adminCall("/admin/experiments")).json<{ experiments: Experiment[] }>()).experiments;

/** A request as the edge sends it from `country` (request.cf). */
async function recsFrom(user: string, country?: string): Promise<RecsBody> {
  const res = await call(`/v1/recommendations?user_id=${user}&limit=5`, country ? ({ cf: { country } } as RequestInit) : {});
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<RecsBody>();
}

async function expectCode(res: Response, status: number, code: string) {
  const body = await res.json<{ error: { code: string } }>();
  expect({ status: res.status, code: body.error.code }).toEqual({ status, code });
}

const regional = {
  control: "a",
  variants: { a: {}, b: { policy: { mmrLambda: 1 } } },
  allocation: { default: { a: 50, b: 50 }, BR: { a: 10, b: 90 } },
};

describe("experiments", () => {
  beforeAll(async () => {
    await publishDemo("v-exp-a");
    // A second published version whose popular list runs the other way round, so a list says which one served it.
    const reversed = demoCatalog().reverse();
    await publishDemo("v-exp-b", reversed);
    await publishDemo("v-exp-a");
    expect((await adminCall("/admin/config/policy", jsonInit("PUT", { default: { explorationRate: 0 } }))).status).toBe(200);
  });

  afterEach(async () => {
    for (const e of await list()) if (e.status === "running") expect((await stop(e.id)).status).toBe(200);
    await adminCall("/admin/experiments/holdout", jsonInit("PUT", { percent: 0 }));
  });

  it("creates, updates a draft, starts, stops; one audit row per change; never back", async () => {
    const created = await create({ id: "life", ...regional });
    expect(created.status).toBe(201);
    expect((await create({ id: "life", ...regional })).status).toBe(409);
    expect((await adminCall("/admin/experiments/life", jsonInit("PUT", { ...regional, name: "renamed" }))).status).toBe(200);
    expect((await start("life")).status).toBe(200);
    await expectCode(await adminCall("/admin/experiments/life", jsonInit("PUT", regional)), 409, "experiment_conflict");
    await expectCode(await start("life"), 409, "experiment_conflict");
    expect((await stop("life")).status).toBe(200);
    await expectCode(await start("life"), 409, "experiment_conflict");
    const { experiment, audit } = await get("life");
    expect(experiment).toMatchObject({ name: "renamed", status: "stopped" });
    expect(experiment.startedAtMs).toBeGreaterThan(0);
    expect(audit.map((a) => a.action)).toEqual(["create", "update", "start", "stop"]);
    await expectCode(await adminCall("/admin/experiments/nope"), 404, "not_found");
    expect((await rawCall("/admin/experiments")).status).toBe(401);
  });

  it("deletes a draft, which never ran, and no other; the audit trail keeps the deletion", async () => {
    const del = (id: string) => adminCall(`/admin/experiments/${id}`, { method: "DELETE" });
    expect((await create({ id: "gone", ...regional })).status).toBe(201);
    const deleted = await del("gone");
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ deleted: "gone" });
    await expectCode(await adminCall("/admin/experiments/gone"), 404, "not_found");
    await expectCode(await del("gone"), 404, "not_found");
    const trail = await env.DB.prepare("SELECT action FROM experiment_audit WHERE subject = ? ORDER BY seq").bind("gone").all<{ action: string }>();
    expect(trail.results.map((r) => r.action)).toEqual(["create", "delete"]);
    // The id is free again; a running or stopped experiment is never deleted.
    expect((await create({ id: "gone", ...regional })).status).toBe(201);
    expect((await start("gone")).status).toBe(200);
    await expectCode(await del("gone"), 409, "experiment_conflict");
    expect((await stop("gone")).status).toBe(200);
    await expectCode(await del("gone"), 409, "experiment_conflict");
    expect((await get("gone")).experiment.status).toBe("stopped");
  });

  it("refuses an update whose body names another id, changing nothing", async () => {
    expect((await create({ id: "keeps-id", ...regional })).status).toBe(201);
    const res = await adminCall("/admin/experiments/keeps-id", jsonInit("PUT", { ...regional, id: "other-id", name: "renamed" }));
    expect({ status: res.status, body: await res.json() }).toMatchObject({
      status: 400,
      body: {
        error: {
          code: "invalid_experiment",
          message:
            'the body\'s id "other-id" is not the path\'s "keeps-id": an experiment\'s id cannot change (send "keeps-id" or leave id out); nothing was stored',
          field: "id",
        },
      },
    });
    const { experiment, audit } = await get("keeps-id");
    expect(experiment.name).toBe("keeps-id");
    expect(audit.map((a) => a.action)).toEqual(["create"]);
    expect((await list()).map((e) => e.id)).not.toContain("other-id");
    // A variant named constructor: checked as sent, as on create (the schema's record dropped it unseen).
    const constructorVariant = { control: "a", variants: { a: {}, constructor: {} }, allocation: { default: { a: 50, constructor: 50 } } };
    const named = await adminCall("/admin/experiments/keeps-id", jsonInit("PUT", constructorVariant));
    expect({ status: named.status, body: await named.json() }).toMatchObject({ status: 400, body: { error: { field: "variants.constructor" } } });
    // Its own id, or none, is an update as before.
    expect((await adminCall("/admin/experiments/keeps-id", jsonInit("PUT", { ...regional, id: "keeps-id", name: "renamed" }))).status).toBe(200);
    expect((await get("keeps-id")).experiment.name).toBe("renamed");
  });

  it("refuses bad configs with a 400 and a code, storing nothing", async () => {
    const before = await list();
    const cases: [object, string][] = [
      [{ id: "bad1", ...regional, allocation: { default: { a: 60, b: 50 } } }, "invalid_allocation"],
      [{ id: "bad2", ...regional, variants: { a: {}, b: { indexVersion: "v-never-published" } } }, "unknown_index_version"],
      [{ id: "bad3", ...regional, variants: { a: {}, b: { rankerWeights: {} } } }, "unknown_knob"],
      [{ id: "bad4", ...regional, variants: { a: {}, b: { policy: { explorationSlot: 2 } } } }, "unknown_knob"],
      [{ id: "bad5", ...regional, control: "c" }, "invalid_experiment"],
      [{ id: "holdout", ...regional }, "invalid_experiment"],
    ];
    for (const [body, code] of cases) await expectCode(await create(body), 400, code);
    expect((await create({ id: "layer-1", layer: "l", traffic: 60, ...regional })).status).toBe(201);
    expect((await start("layer-1")).status).toBe(200);
    await expectCode(await create({ id: "layer-2", layer: "l", traffic: 50, trafficOffset: 50, ...regional }), 400, "overlapping_experiment");
    await expectCode(await adminCall("/admin/experiments/holdout", jsonInit("PUT", { percent: 2, offset: 99 })), 400, "invalid_holdout");
    const after = await list();
    expect(after.map((e) => e.id).sort()).toEqual([...before.map((e) => e.id), "layer-1"].sort());
  });

  it("assigns every user as the shared function does, stably across requests and isolates, and keys the cache by variant", async () => {
    expect((await create({ id: "stable", ...regional })).status).toBe(201);
    expect((await start("stable")).status).toBe(200);
    const e = (await get("stable")).experiment;
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const user = freshUser();
      const first = await recsFrom(user, "US");
      expect(first).toMatchObject({ experiment: "stable", experiments: [{ experiment: "stable", variant: first.variant }] });
      expect(first.variant).toBe(assign(e, user, "us").variant);
      seen.add(first.variant);
      // As on a fresh isolate: nothing memoized, experiments read again from D1.
      forgetExperiments();
      forgetRecentLists();
      expect((await recsFrom(user, "US")).variant).toBe(first.variant);
    }
    expect([...seen].sort()).toEqual(["a", "b"]);
    // The list is cached under the variant's key, not the other variant's.
    const user = freshUser();
    const body = await recsFrom(user, "US");
    const other = body.variant === "a" ? "b" : "a";
    const { stamp } = await readConfigSnapshot(env.INDEX_KV);
    const key = (variant: string) =>
      listCacheKey({ userId: user, surface: "home", contextItemId: null, category: null, excludeIds: [] }, "us", `stable=${variant}`, body.indexVersion, stamp);
    const stored = await pollUntil("the list stored under its variant's key", () => caches.default.match(key(body.variant)));
    await stored.arrayBuffer();
    expect(await caches.default.match(key(other))).toBeUndefined();
  });

  it("allocates by the region at first exposure, kept in the session for a traveller", async () => {
    expect((await create({ id: "regions", ...regional })).status).toBe(201);
    expect((await start("regions")).status).toBe(200);
    const e = (await get("regions")).experiment;
    let inB = 0;
    const users = Array.from({ length: 60 }, () => freshUser());
    for (const user of users) {
      const { variant } = await recsFrom(user, "BR");
      // Brazil's allocation (90% b), user by user, as the pure function gives it.
      expect(variant).toBe(assign(e, user, "br").variant);
      if (variant === "b") inB++;
    }
    // And not the default's 50%: with 60 users, fewer than 40 in b would be a 1-in-6·10^6 event.
    expect(inB).toBeGreaterThanOrEqual(40);
    // A user met first in Brazil keeps Brazil's allocation in the US.
    const traveller = users.find((u) => assign(e, u, "br").variant !== assign(e, u, "us").variant)!;
    expect(traveller).toBeDefined();
    const home = await recsFrom(traveller, "BR");
    const away = await recsFrom(traveller, "US");
    expect(away.variant).toBe(home.variant);
    expect(away.region).toBe("us");
    const stub = env.USER_SESSION.get(env.USER_SESSION.idFromName(traveller));
    expect(await stub.experimentRegions(["regions"], "us")).toEqual([{ experimentId: "regions", region: "br" }]);
  });

  it("assigns stored experiments by own keys: a variant named constructor, an experiment named __proto__", async () => {
    // Stored before such names were refused (the parser refuses them now), written straight to D1.
    const nowMs = Date.now();
    const stored = (id: string, control: string, variants: string[], allocation: string): Experiment => ({
      id,
      name: id,
      layer: `own-${variants.join("-")}`,
      salt: `${id}-salt`,
      status: "running",
      trafficStart: 0,
      trafficEnd: 10_000,
      control,
      variants: variants.map((variant) => ({ id: variant, overrides: {} })),
      allocation: JSON.parse(allocation) as Experiment["allocation"],
      surfaces: [],
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
      startedAtMs: nowMs,
      stoppedAtMs: null,
    });
    // The US gives constructor no share: before, its share read off Object.prototype (a function, so NaN) and every
    // bucket fell through to the control, constructor.
    const shares = stored("own-shares", "constructor", ["constructor", "a"], '{"default": {"constructor": 50, "a": 50}, "us": {"a": 100}}');
    // Its users' first-exposure regions come from their sessions, keyed by experiment id: before, the answer's
    // "__proto__" read its prototype as the region, so the default's half-and-half split applied in the US.
    const proto = stored("__proto__", "b", ["a", "b"], '{"default": {"a": 50, "b": 50}, "us": {"a": 100}}');
    for (const e of [shares, proto]) await saveExperiment(env.DB, e, "create", "stored-before");
    forgetExperiments();
    forgetRecentLists();
    for (let i = 0; i < 20; i++) {
      const body = await recsFrom(freshUser(), "US");
      expect(body.experiments).toEqual([
        { experiment: "__proto__", variant: "a" },
        { experiment: "own-shares", variant: "a" },
      ]);
    }
    // Elsewhere, each split as the shared function gives it.
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const user = freshUser();
      const body = await recsFrom(user, "BR");
      expect(body.experiments).toEqual([
        { experiment: "__proto__", variant: assign(proto, user, "br").variant },
        { experiment: "own-shares", variant: assign(shares, user, "br").variant },
      ]);
      seen.add(assign(shares, user, "br").variant);
    }
    expect([...seen].sort()).toEqual(["a", "constructor"]);
    // A traveller met first in Brazil keeps Brazil's split of `__proto__` in the US: the session's answer is keyed by data.
    const traveller = Array.from({ length: 60 }, () => freshUser()).find((u) => assign(proto, u, "br").variant === "b")!;
    await recsFrom(traveller, "BR");
    expect((await recsFrom(traveller, "US")).experiments).toContainEqual({ experiment: "__proto__", variant: "b" });
  });

  it("takes the region a server names in X-Region (secret key), never one a browser names", async () => {
    const user = freshUser();
    const fromServer = await call(`/v1/recommendations?user_id=${user}&limit=5`, { headers: { "X-Region": "br" }, cf: { country: "US" } } as RequestInit);
    expect(fromServer.status).toBe(200);
    expect((await fromServer.json<RecsBody>()).region).toBe("br");
    // Any case, as allocation keys are taken: "BR" is Brazil, not ignored.
    const upper = await call(`/v1/recommendations?user_id=${freshUser()}&limit=5`, { headers: { "X-Region": "BR" }, cf: { country: "US" } } as RequestInit);
    expect((await upper.json<RecsBody>()).region).toBe("br");
    const other = freshUser();
    const fromBrowser = await browserCall(
      `/v1/recommendations?user_id=${other}&limit=5`,
      { headers: { "X-Region": "br" }, cf: { country: "US" } } as RequestInit,
      await userToken(other),
    );
    expect(fromBrowser.status, await fromBrowser.clone().text()).toBe(200);
    expect((await fromBrowser.json<RecsBody>()).region).toBe("us");
    // Not a country code: the edge's country stands.
    const odd = await call(`/v1/recommendations?user_id=${freshUser()}&limit=5`, { headers: { "X-Region": "Brazil" }, cf: { country: "US" } } as RequestInit);
    expect((await odd.json<RecsBody>()).region).toBe("us");
    const long = await call(`/v1/recommendations?user_id=${freshUser()}&limit=5`, { headers: { "X-Region": "BRA" }, cf: { country: "US" } } as RequestInit);
    expect((await long.json<RecsBody>()).region).toBe("us");
  });

  it("serves the holdout the control: no experiment, no variant overrides", async () => {
    expect((await adminCall("/admin/experiments/holdout", jsonInit("PUT", { percent: 30 }))).status).toBe(200);
    // Every other user routes to the other index, so a held-out user served v-exp-a got the defaults.
    expect(
      (await create({ id: "held", control: "a", variants: { a: {}, b: { indexVersion: "v-exp-b" } }, allocation: { default: { a: 0, b: 100 } } })).status,
    ).toBe(201);
    expect((await start("held")).status).toBe(200);
    await expectCode(await adminCall("/admin/experiments/holdout", jsonInit("PUT", { percent: 5 })), 409, "experiment_conflict");
    const { holdout } = await (await adminCall("/admin/experiments/holdout")).json<{ holdout: { salt: string; start: number; end: number } }>();
    let held = 0;
    for (let i = 0; i < 40; i++) {
      const user = freshUser();
      const body = await recsFrom(user);
      const out = experimentsFor({ holdout, running: [(await get("held")).experiment] }, user, "home").length === 0;
      if (out) {
        held++;
        expect(body).toMatchObject({ experiment: null, variant: "holdout", experiments: [], indexVersion: "v-exp-a" });
      } else expect(body).toMatchObject({ experiment: "held", variant: "b", indexVersion: "v-exp-b" });
    }
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(40);
  });

  it("passes a variant's policy knobs through the funnel", async () => {
    const pin = { policy: { explorationRate: 0, rules: [{ kind: "pin", itemId: "m7", position: 1 }] } };
    expect((await create({ id: "knobs", control: "a", variants: { a: {}, b: pin }, allocation: { default: { a: 50, b: 50 } } })).status).toBe(201);
    expect((await start("knobs")).status).toBe(200);
    const firstOf: Record<string, string> = {};
    for (let i = 0; i < 30 && Object.keys(firstOf).length < 2; i++) {
      const body = await recsFrom(freshUser());
      firstOf[body.variant] = body.items[0]!.itemId;
    }
    expect(firstOf).toEqual({ a: "m0", b: "m7" });
  });

  it("serves a variant's softmax exploration, each shown item with its exact Plackett–Luce propensity", async () => {
    const softmax = { policy: "softmax", temperature: 0.02, topN: 5, from: 1 };
    expect(
      (await create({ id: "softmax", control: "a", variants: { a: {}, b: { exploration: softmax } }, allocation: { default: { a: 50, b: 50 } } })).status,
    ).toBe(201);
    expect((await start("softmax")).status).toBe(200);
    const orders = new Set<string>();
    let b = 0;
    for (let i = 0; i < 40 && b < 12; i++) {
      const res = await call(`/v1/recommendations?user_id=${freshUser()}&limit=5`);
      const body = await res.json<Omit<RecsBody, "items"> & { items: { itemId: string; score: number; propensity: number }[] }>();
      if (body.variant === "a") {
        // Epsilon-greedy is off (the configured policy): the control shows the greedy list, every propensity 1.
        expect(body.items.map((x) => x.propensity)).toEqual([1, 1, 1, 1, 1]);
        continue;
      }
      b++;
      // The window is the whole page: its scores are the window's, and each item's propensity is its marginal at its slot.
      const scores = body.items.map((x) => x.score);
      const marginals = plackettLuceMarginals(scores, softmax.temperature);
      body.items.forEach((x, k) => expect(x.propensity).toBeCloseTo(marginals[scores.indexOf(x.score) * 5 + k]!, 12));
      orders.add(body.items.map((x) => x.itemId).join(","));
    }
    expect(b).toBeGreaterThanOrEqual(5);
    // The draws differ by user: softmax reorders the greedy top five.
    expect(orders.size).toBeGreaterThan(1);
  });

  it("serves a change made on another isolate within the refresh interval, and never a stale assignment past it", { timeout: 60_000 }, async () => {
    expect((await create({ id: "old", control: "a", variants: { a: {}, b: {} }, allocation: { default: { a: 50, b: 50 } } })).status).toBe(201);
    expect((await create({ id: "new", layer: "other", control: "a", variants: { a: {}, b: {} }, allocation: { default: { a: 50, b: 50 } } })).status).toBe(201);
    expect((await start("old")).status).toBe(200);
    const user = freshUser();
    // This isolate reads the set now (the admin call above cleared its copy).
    const primedAtMs = Date.now();
    expect((await recsFrom(user)).experiments).toEqual([{ experiment: "old", variant: expect.any(String) }]);
    // Another isolate stops "old" and starts "new": D1 changes, this isolate's copy does not hear of it.
    const nowMs = Date.now();
    const { experiment: old } = await get("old");
    const { experiment: fresh } = await get("new");
    await saveExperiment(env.DB, { ...old, status: "stopped", stoppedAtMs: nowMs, updatedAtMs: nowMs }, "stop", "other-isolate", "running");
    await saveExperiment(env.DB, { ...fresh, status: "running", startedAtMs: nowMs, updatedAtMs: nowMs }, "start", "other-isolate", "draft");
    const seen: { atMs: number; experiments: string }[] = [];
    for (;;) {
      const body = await recsFrom(user);
      const atMs = Date.now();
      seen.push({ atMs: atMs - primedAtMs, experiments: body.experiments.map((e) => e.experiment).join(",") });
      if (body.experiments.length === 1 && body.experiments[0]!.experiment === "new") break;
      expect(atMs - primedAtMs, JSON.stringify(seen)).toBeLessThan(EXPERIMENTS_FRESH_MS + 2_000);
      await new Promise((r) => setTimeout(r, 250));
    }
    // Served as it was within the interval (the isolate's copy), then the change, and nothing stale after it.
    expect(seen.filter((s) => s.atMs < EXPERIMENTS_FRESH_MS - 500).every((s) => s.experiments === "old")).toBe(true);
    expect(seen.at(-1)!.atMs).toBeGreaterThanOrEqual(EXPERIMENTS_FRESH_MS);
    for (let i = 0; i < 3; i++) expect((await recsFrom(user)).experiments.map((e) => e.experiment)).toEqual(["new"]);
  });

  it("serves a variant routed to another index version from that version", async () => {
    expect(
      (await create({ id: "route", control: "a", variants: { a: {}, b: { indexVersion: "v-exp-b" } }, allocation: { default: { a: 50, b: 50 } } })).status,
    ).toBe(201);
    expect((await start("route")).status).toBe(200);
    const byVariant: Record<string, RecsBody> = {};
    for (let i = 0; i < 30 && Object.keys(byVariant).length < 2; i++) {
      const body = await recsFrom(freshUser());
      byVariant[body.variant] = body;
    }
    expect(byVariant.a).toMatchObject({
      indexVersion: "v-exp-a",
      items: [{ itemId: "m0" }, { itemId: "m1" }, { itemId: "m2" }, { itemId: "m3" }, { itemId: "m4" }],
    });
    expect(byVariant.b).toMatchObject({
      indexVersion: "v-exp-b",
      items: [{ itemId: "m29" }, { itemId: "m28" }, { itemId: "m27" }, { itemId: "m26" }, { itemId: "m25" }],
    });
  });
});
