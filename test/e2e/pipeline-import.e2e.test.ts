import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../client";
import { importDataset, type ImportOptions } from "../../index-builder/src/import/import-dataset";
import { freePort } from "../../index-builder/src/local/free-port";
import { type LocalStack, startLocalStack } from "../../index-builder/src/local/local-stack";
import { runPipeline, type PipelineOptions } from "../../index-builder/src/pipeline/pipeline";
import { servedLists } from "../../index-builder/src/pipeline/evaluate-version";
import { DEFAULT_HOLDOUT, gateHoldout } from "../../index-builder/src/pipeline/holdout";
import { readBuiltVersion } from "../../index-builder/src/pipeline/load-version";
import { poll } from "../poll";
import { AdminClient } from "../../index-builder/src/publish/admin-client";
import { userHistories } from "../../index-builder/src/publish/seed-histories";
import { type WeightTransform } from "../../index-builder/src/data/weights";
import { SeededRandom } from "../../shared/seeded-random";

/**
 * The publication pipeline on a team's own log, as CI runs it: a play-count
 * CSV without timestamps and an item file, imported, built, gated on a
 * holdout its times cannot cut (so on pairs held out by hash), promoted,
 * and its users' histories seeded; then a second run gates against it on
 * the same pairs.
 */
let dir: string;
let stack: LocalStack;
let options: Omit<PipelineOptions, "workDir">;
let importOptions: ImportOptions;
const lines: string[] = [];
/** The promoted version's build directory. */
let servedDir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "recs-pipeline-import-"));
  // 240 listeners in four tastes, 320 artists in four genres: each plays 14 artists, mostly of their taste, 1-60 times.
  const rng = new SeededRandom(7);
  const genres = ["rock", "jazz", "folk", "techno"];
  const plays = ["listener,artist,plays"];
  for (let u = 0; u < 240; u++) {
    const taste = u % 4;
    const chosen = new Set<number>();
    while (chosen.size < 14) chosen.add(rng.next() < 0.8 ? taste + 4 * rng.int(80) : rng.int(320));
    for (const a of chosen) plays.push(`L${u},A${a},${1 + rng.int(60)}`);
  }
  await writeFile(join(dir, "plays.csv"), plays.join("\n") + "\n");
  const artists = ["artist_id,name,genres", ...Array.from({ length: 320 }, (_, a) => `A${a},Artist ${a},${genres[a % 4]}`)];
  await writeFile(join(dir, "artists.csv"), artists.join("\n") + "\n");
  importOptions = { interactions: join(dir, "plays.csv"), items: join(dir, "artists.csv"), kind: "plays", columns: { user: "listener", item: "artist" } };

  stack = await startLocalStack({ port: await freePort(), persistTo: join(dir, "wrangler"), redis: "required" });
  options = {
    url: stack.url,
    adminKey: stack.adminKey,
    dataDir: join(dir, "unused"),
    import: importOptions,
    redis: { url: stack.redis!.url, token: stack.redis!.token },
    canary: null,
    gc: { keep: 5, apply: false },
    seedHistories: true,
    // Untuned: the suite tests the pipeline, not the tuning, and a walk cut by a CPU-seconds budget lands where the
    // machine's speed puts it, so the gate's verdict on two builds moved with the load (a run beside another suite
    // refused the erasure test's candidate, nDCG@10 0.0485 against the live 0.0545). The start point builds the
    // same index from the same rows on any machine.
    tuneSeconds: 0,
    log: (line) => lines.push(line),
  };
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("the publication pipeline on an imported log without timestamps", () => {
  it("holds out pairs by hash and says why, promotes, and seeds the log's users as the new version weighs them", { timeout: 600_000 }, async () => {
    const result = await runPipeline({ ...options, workDir: join(dir, "work") });
    expect(result.outcome, lines.join("\n")).toBe("promoted");
    expect(lines).toContain(
      "WARNING: gate holdout: the time cut is unsound (no or constant timestamps (every row has the same time)); holding out (user, item) pairs by hash instead (the same pairs every run)",
    );
    expect(result.state.build).toMatchObject({ cutAt: null, holdoutFallback: "no or constant timestamps (every row has the same time)" });
    // About 5% of the 3360 rows held out, the build trained on the rest.
    expect(result.state.build!.trainEvents).toBeGreaterThan(3100);
    expect(result.state.build!.trainEvents).toBeLessThan(3300);
    expect(result.state.evaluate!.candidate).toMatchObject({ sawHoldout: false });
    expect(result.state.evaluate!.candidate.users).toBeGreaterThan(50);

    const client = new AdminClient({ url: stack.url, adminKey: stack.adminKey });
    const version = result.state.build!.version;
    expect((await client.current())!.version).toBe(version);
    servedDir = result.state.build!.dir;
    const manifest = await client.manifest(version);
    expect(manifest.evaluation).toMatchObject({ protocol: { kind: "pair-hash", heldOutFraction: 0.05 }, cutAt: null, sawHoldout: false });
    // The build checked the log against the erasure list (empty yet), and says when.
    expect(manifest.erasureList).toMatchObject({ erasedUsers: 0 });
    expect(Date.parse(manifest.erasureList!.readAt)).toBeLessThanOrEqual(Date.parse(manifest.builtAt));

    // Every listener's history is in their session, weighed by the transform the promoted version trained with.
    expect(result.state.histories).toMatchObject({ users: 240, unchanged: 0, items: 3360, erasedRows: 0 });
    const transform = (manifest.build!.weights as { transform: WeightTransform }).transform;
    const expected = await userHistories((await importDataset(importOptions)).dataset, transform);
    const server = createClient(stack.url, { secretKey: stack.adminKey });
    const stored = (await (await server.admin.histories[":id"].$get({ param: { id: "L5" } })).json()) as { items: { itemId: string; weight: number }[] };
    expect(stored.items).toEqual([...expected.users.find((u) => u.userId === "L5")!.items].reverse());
    const recs = await server.v1.recommendations.$get({ query: { user_id: "L5", limit: "10" } });
    const body = (await recs.json()) as { items: { itemId: string; sources: string[] }[]; sessionVersion: number };
    expect(body.sessionVersion).toBeGreaterThanOrEqual(1);
    expect(body.items.some((i) => i.sources.includes("ann"))).toBe(true);
    for (const item of body.items) expect(stored.items.map((x) => x.itemId)).not.toContain(item.itemId);
  });

  it("answers each holdout user over HTTP with the very list the gate's offline funnel scored", { timeout: 300_000 }, async () => {
    // The gate's knobs are the served ones with exploration off: so is this stack's policy.
    const server = createClient(stack.url, { secretKey: stack.adminKey });
    expect((await server.admin.config.policy.$put({ json: { default: { explorationRate: 0 } } })).status).toBe(200);
    const dataset = (await importDataset(importOptions)).dataset;
    const categories = new Map(dataset.items.map((i) => [i.itemId, i.categories]));
    const version = await readBuiltVersion(servedDir);
    const client = new AdminClient({ url: stack.url, adminKey: stack.adminKey });
    const differ: string[] = [];
    let compared = 0;
    for await (const served of servedLists(version, gateHoldout(dataset, DEFAULT_HOLDOUT), (id) => categories.get(id) ?? [])) {
      if (compared++ === 40) break;
      // The user's session as the gate built it (their training rows, weighed as the version trained), under an id of its own.
      const probe = `probe-${served.userId}`;
      await client.seedHistories([{ userId: probe, items: served.events.map((e) => ({ itemId: e.itemId, weight: e.weight })) }]);
      const expected = served.result.entries.map((e) => e.itemId);
      const body = await poll(
        async () =>
          (await (await server.v1.recommendations.$get({ query: { user_id: probe, limit: "10" } })).json()) as {
            items: { itemId: string }[];
            degraded: string[];
          },
        // A cold isolate serves light scores while ONNX Runtime loads, and says so: ask again.
        (b) => !b.degraded.includes("heavy_ranker_warming"),
        30_000,
      );
      const got = body.items.map((i) => i.itemId);
      if (JSON.stringify(got) !== JSON.stringify(expected))
        differ.push(`${served.userId}: worker ${got.join(" ")} | gate ${expected.join(" ")} ${JSON.stringify(body.degraded)}`);
    }
    expect(compared).toBe(41);
    expect(differ).toEqual([]);
  });

  it(
    "gates the promoted build again, as a given candidate, on the log without a listener erased since: its manifest says it never saw the held-out pairs, so nDCG@10 is compared",
    { timeout: 300_000 },
    async () => {
      // A listener erased since the log was exported: the next run reads the log without them.
      const server = createClient(stack.url, { secretKey: stack.adminKey });
      expect((await server.v1.users[":id"].$delete({ param: { id: "L7" } })).status).toBe(200);
      process.env.ERASURE_KEY = stack.erasureKey;
      lines.length = 0;
      const result = await runPipeline({ ...options, workDir: join(dir, "work-again"), candidateDir: servedDir, stopAfter: "gate" }).finally(
        () => delete process.env.ERASURE_KEY,
      );
      expect(lines).toContain("left out 14 rows of erased users from the base data");
      expect(result.outcome).toBe("stopped");
      expect(result.state.evaluate!.candidate.sawHoldout).toBe(false);
      const ndcg = result.state.gate!.rows.find((r) => r.check === "nDCG@10")!;
      expect(ndcg.rule, JSON.stringify(result.state.gate)).toMatch(/^>= /);
      expect(Number(ndcg.live)).toBeGreaterThan(0);
      expect(ndcg.candidate).toBe(ndcg.live);
    },
  );

  it(
    "says in L7's erasure receipt that the live index may still hold them, until a build that read the erasure list after the erasure is promoted",
    { timeout: 300_000 },
    async () => {
      const server = createClient(stack.url, { secretKey: stack.adminKey });
      type Store = { store: string; status: string; note?: string };
      const indexPart = async () => {
        const res = await server.admin.erasures.$get({ query: { user: "L7" } });
        const { receipts } = (await res.json()) as { receipts: { stores: Store[] }[] };
        expect(receipts).toHaveLength(1);
        return receipts[0]!.stores.find((s) => s.store === "index")!;
      };
      const live = (await new AdminClient({ url: stack.url, adminKey: stack.adminKey }).current())!.version;
      expect(await indexPart()).toMatchObject({ status: "pending", note: expect.stringContaining(`live index ${live} read the erasure list at`) as string });

      process.env.ERASURE_KEY = stack.erasureKey;
      lines.length = 0;
      const result = await runPipeline({ ...options, seedHistories: false, workDir: join(dir, "work-after-erasure") }).finally(
        () => delete process.env.ERASURE_KEY,
      );
      expect(result.outcome, lines.join("\n")).toBe("promoted");
      expect(lines).toContain("left out 14 rows of erased users from the base data");
      const manifest = await new AdminClient({ url: stack.url, adminKey: stack.adminKey }).manifest(result.state.build!.version);
      expect(manifest.erasureList).toMatchObject({ erasedUsers: 1 });
      expect(await indexPart()).toMatchObject({
        status: "done",
        note: `live index ${manifest.version} was built from data checked against the erasure list read at ${manifest.erasureList!.readAt}, after this erasure`,
      });
    },
  );
});
