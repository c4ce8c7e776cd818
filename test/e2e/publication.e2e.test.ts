import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createClient } from "../../client";
import { type CatalogItem } from "../../shared/catalog/catalog-item";
import { TITLE_PATCH_BLOB } from "../../shared/catalog/title-page";
import { type IndexManifest } from "../../shared/index-format/manifest";
import { freePort } from "../../index-builder/src/local/free-port";
import { type LocalStack, startLocalStack } from "../../index-builder/src/local/local-stack";
import { PROJECT_ROOT } from "../../index-builder/src/local/wrangler";
import { runPipeline, type PipelineOptions } from "../../index-builder/src/pipeline/pipeline";
import { type CanaryDecision } from "../../index-builder/src/pipeline/canary-decision";
import { AdminClient } from "../../index-builder/src/publish/admin-client";
import { garbageCollect } from "../../index-builder/src/publish/garbage-collect";
import { readBuiltManifest, uploadVersion } from "../../index-builder/src/publish/publish-index";
import { rollback } from "../../index-builder/src/publish/rollback";
import { deriveVersion, retitle, shuffleEmbeddings } from "./index-variants";

/**
 * Publication from CI against a stack of its own (the pointer moves here):
 * a resumed upload, the pipeline promoting a good build, refusing a
 * degraded one, rolling back a failing canary, garbage collection, and a
 * rollback whose catalog overlay still shows later catalog edits.
 */
const source = inject("indexDir");
let state: string;
let stack: LocalStack;
let client: AdminClient;
let base: Omit<PipelineOptions, "workDir">;
const versions: Record<string, string> = {};

/** The typed client on this file's own stack, as the customer's server. */
const server = () => createClient(stack.url, { secretKey: stack.adminKey });
const recs = async (user: string) => {
  const res = await server().v1.recommendations.$get({ query: { user_id: user, limit: "5" } });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { indexVersion: string; degraded: string[]; items: { itemId: string; title: string }[] };
};
const shaOf = async (dir: string, name: string) => (await readBuiltManifest(dir)).blobs[name]!.sha256;

beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), "recs-publication-"));
  stack = await startLocalStack({ port: await freePort(), persistTo: join(state, "wrangler"), redis: "required" });
  client = new AdminClient({ url: stack.url, adminKey: stack.adminKey });
  base = {
    url: stack.url,
    adminKey: stack.adminKey,
    dataDir: join(PROJECT_ROOT, "data", "ml-latest-small"),
    redis: { url: stack.redis!.url, token: stack.redis!.token },
    canary: { share: 0.5, regions: null, probes: 2, settleMs: 8000 },
    gc: { keep: 5, apply: false },
  };
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await rm(state, { recursive: true, force: true });
});

describe("index publication from CI (wrangler dev + redis-server)", () => {
  it("resumes an upload killed half way without re-sending the blobs that arrived", async () => {
    const manifest = await readBuiltManifest(source);
    const total = new Set(Object.values(manifest.blobs).map((b) => b.sha256)).size;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "index-builder/src/cli.ts", "publish", "--dir", source, "--url", stack.url, "--batch-blobs", "2"],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, SECRET_KEY: stack.adminKey },
        stdio: "ignore",
      },
    );
    let stored = 0;
    while (stored < total / 4) {
      await new Promise((r) => setTimeout(r, 20));
      stored = (await client.storedBlobs()).size;
    }
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    // Uploads whose bodies were already sent still land: count once the store stops changing.
    let arrived = -1;
    for (let now = (await client.storedBlobs()).size; now !== arrived; now = (await client.storedBlobs()).size) {
      arrived = now;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(arrived).toBeGreaterThan(0);
    expect(arrived).toBeLessThan(total);
    expect(await client.current()).toBeNull();

    const report = await uploadVersion(source, { url: stack.url, adminKey: stack.adminKey });
    expect(report.skippedBlobs).toBe(arrived);
    expect(report.sentBlobs).toBe(total - arrived);
    await client.setCurrent(manifest.version);
    versions.a = manifest.version;
    expect((await recs("probe-a")).indexVersion).toBe(manifest.version);
  });

  it("promotes a good build through gate and canary, uploading only the blob that changed", async () => {
    const dir = await deriveVersion(source, join(state, "variants"), "v-retitled", retitle(5, "(restored)"));
    // A region canary: its probes name Brazil in X-Region, which the Worker (no TRUST_REGION_HEADER here) takes from a secret key.
    const result = await runPipeline({ ...base, workDir: join(state, "work"), candidateDir: dir, canary: { ...base.canary!, regions: ["br"] } });
    expect(result.outcome, JSON.stringify(result.state.canary)).toBe("promoted");
    expect(result.state.gate!.pass).toBe(true);
    expect(result.state.upload).toMatchObject({ sentBlobs: 1, skippedBlobs: result.state.upload!.blobs - 1 });
    expect(result.state.upload!.sentBytes).toBeLessThan(result.state.upload!.bytes / 20);
    expect(result.state.canary).toMatchObject({ pass: true });
    expect((await client.current())!.version).toBe("v-retitled");
    // The canary was an experiment whose treatment pinned the candidate; promotion stopped it.
    const canary = (await client.experiment((result.state.canary as { experimentId: string }).experimentId))!;
    expect(canary).toMatchObject({ layer: "canary", status: "stopped" });
    expect(canary.variants.find((v) => v.id === "candidate")!.overrides.indexVersion).toBe("v-retitled");
    expect(Object.keys(canary.allocation).sort()).toEqual(["br", "default"]);
    expect(result.table).toContain("| nDCG@10 |");
    // Both arms were probed alike: the candidate's users and as many on the live version (the control), in the same run.
    const decision = (result.state.canary as { decision: CanaryDecision }).decision;
    expect(decision.candidate).toMatchObject({ version: "v-retitled", probes: 6, faults: 0 });
    expect(decision.control).toMatchObject({ version: versions.a, probes: 6 });
    expect(result.table).toContain(`| control | ${versions.a} | 6 |`);
    // Both versions were scored in the order their manifests name (this suite's index serves its heavy model).
    const order = (await readBuiltManifest(source)).ranking?.order ?? null;
    expect(order).toBe("heavy");
    for (const side of [result.state.gate!.live!, result.state.gate!.candidate]) {
      expect(side.order).toBe(order);
      expect(side.rankers.heavy).toBeGreaterThan(0);
    }
    // The manifest records the protocol it was gated on.
    const published = await client.manifest("v-retitled");
    expect(published.evaluation).toMatchObject({ protocol: { kind: "global-time-cut" }, users: result.state.gate!.candidate.users });
    expect(JSON.parse(await readFile(join(state, "work", "report.json"), "utf8")).outcome).toBe("promoted");
    versions.b = "v-retitled";
  });

  it("refuses a build with shuffled embeddings and leaves the live version untouched", async () => {
    const dir = await deriveVersion(source, join(state, "variants"), "v-shuffled", shuffleEmbeddings(3));
    const result = await runPipeline({ ...base, workDir: join(state, "work"), candidateDir: dir });
    expect(result.outcome).toBe("refused");
    const ndcg = result.state.gate!.rows.find((r) => r.check === "nDCG@10")!;
    expect(ndcg.pass).toBe(false);
    expect(Number(ndcg.candidate)).toBeLessThan(Number(ndcg.live));
    expect(result.state.upload).toBeUndefined();
    expect((await client.current())!.version).toBe(versions.b);
    const stored = await client.storedBlobs();
    expect(stored.has(await shaOf(dir, "vectors-0"))).toBe(false);
    expect((await client.versions()).versions.map((v) => v.version)).not.toContain("v-shuffled");
  });

  it("rolls back automatically when the canary's checks fail", async () => {
    // Its own popular blob (the same list, one more byte of JSON whitespace), which every list it serves reads.
    const dir = await deriveVersion(source, join(state, "variants"), "v-canary-bad", (manifest, blobs, catalog) => {
      retitle(5, "(canary)")(manifest, blobs, catalog);
      blobs.set("popular", new Uint8Array([...blobs.get("popular")!, 0x20]));
    });
    const work = join(state, "work");
    const uploaded = await runPipeline({ ...base, workDir: work, candidateDir: dir, stopAfter: "upload" });
    expect(uploaded.outcome).toBe("stopped");
    // The candidate loses a blob in KV after upload: the Worker serving it degrades.
    await client.deleteBlob(await shaOf(dir, "popular"));
    const result = await runPipeline({ ...base, workDir: work, candidateDir: dir });
    expect(result.outcome).toBe("rolled_back");
    expect(result.state.upload).toEqual(uploaded.state.upload);
    expect(result.state.canary).toMatchObject({ pass: false });
    const failed = (result.state.canary as { checks: { pass: boolean; detail: string }[] }).checks.filter((c) => !c.pass);
    expect(failed.length).toBeGreaterThan(0);
    expect(
      failed.every((c) => c.detail.startsWith("degraded:")),
      JSON.stringify(failed),
    ).toBe(true);
    // The missing blob is the candidate's fault alone: the control arm on the live version answered whole.
    const decision = (result.state.canary as { decision: CanaryDecision }).decision;
    expect(decision.candidate.faults).toBeGreaterThan(0);
    expect(decision.control).toMatchObject({ probes: 6, faults: 0 });
    expect((await client.current())!.version).toBe(versions.b);
    expect(await client.experiment((result.state.canary as { experimentId: string }).experimentId)).toMatchObject({ status: "stopped" });
    expect((await recs("after-rollback")).indexVersion).toBe(versions.b);
  });

  it("collects only unreferenced blobs (dry run first), never the live version's or an experiment's", async () => {
    const dir = await deriveVersion(source, join(state, "variants"), "v-unused", retitle(3, "(unused)"));
    await uploadVersion(dir, { url: stack.url, adminKey: stack.adminKey });
    const unusedTitles = await shaOf(dir, TITLE_PATCH_BLOB);
    // A draft experiment pins the first version (not current, and past `keep`): it must survive.
    await client.createExperiment({
      id: "pin-first-version",
      layer: "gc-test",
      control: "a",
      variants: { a: {}, b: { indexVersion: versions.a } },
      allocation: { default: { a: 50, b: 50 } },
    });
    const options = { url: stack.url, adminKey: stack.adminKey, keep: 1, graceMs: 0 };
    const before = await client.storedBlobs();
    const dry = await garbageCollect({ ...options, apply: false });
    expect(dry.deletedVersions).toEqual(["v-canary-bad", "v-unused"]);
    expect(dry.keptVersions).toEqual([versions.a, versions.b].sort());
    expect(dry.pinnedByExperiments).toEqual([versions.a]);
    // v-unused's title patch and v-canary-bad's (its popular blob is gone already).
    expect(dry.deletedBlobs).toBe(2);
    expect((await client.storedBlobs()).size).toBe(before.size);

    const applied = await garbageCollect({ ...options, apply: true });
    expect(applied.deletedBlobs).toBe(2);
    const after = await client.storedBlobs();
    expect(after.has(unusedTitles)).toBe(false);
    for (const version of [versions.a!, versions.b!]) {
      const manifest: IndexManifest = await client.manifest(version);
      for (const ref of Object.values(manifest.blobs)) expect(after.has(ref.sha256), `${version} blob`).toBe(true);
    }
    expect((await client.versions()).versions.map((v) => v.version).sort()).toEqual([versions.a, versions.b].sort());
    // The Worker itself refuses to delete what serves, and what an experiment pins.
    const live = await client.manifest(versions.b!);
    await expect(client.deleteBlob(live.blobs.popular!.sha256)).rejects.toMatchObject({ status: 409, code: "version_conflict" });
    await expect(client.deleteVersion(versions.b!)).rejects.toMatchObject({ status: 409 });
    await expect(client.deleteVersion(versions.a!)).rejects.toMatchObject({ status: 409, code: "version_conflict" });
    expect((await recs("after-gc")).degraded).toEqual([]);
  });

  it("rolls back to the previous version, and the catalog overlay still shows edits made since it went live", async () => {
    const list = await recs("overlay-probe");
    const item = list.items[0]!;
    const res = await server().v1.items[":id"].$get({ param: { id: item.itemId } });
    const row = (await res.json()) as CatalogItem;
    const edited = { ...row, title: `${row.title} (edited after ${versions.a} went live)` };
    const write = await server().admin.catalog.items.$post({ json: { items: [edited] } });
    expect(write.status, await write.clone().text()).toBe(200);

    const back = await rollback({ url: stack.url, adminKey: stack.adminKey });
    expect(back).toEqual({ from: versions.b, to: versions.a });
    const pointer = (await client.current())!;
    expect(Date.parse(pointer.catalogAsOf!)).toBeLessThan(Date.parse(pointer.publishedAt));
    const after = await recs("overlay-probe-2");
    expect(after.indexVersion).toBe(versions.a);
    expect(after.items.find((i) => i.itemId === item.itemId)?.title).toBe(edited.title);
  });
});
