/**
 * `npm run bench:publish [-- --items 1000000 --edits 1000]`: publication of
 * a large index through the Worker's admin API on a fresh local stack
 * (wrangler dev + redis-server on 127.0.0.1). First the full publication of
 * a synthetic index of `--items` items (bench/serve/synthetic-index.ts);
 * then a version where only the catalog changed (`--edits` items, seeded,
 * get new titles: as a build on top of the first writes them, its title
 * pages stay and a title patch lists the changed rows; catalog rows change,
 * nothing else), which uploads only the blobs it does not share; then the same upload
 * again, which has nothing left to send (what a resumed run costs at the
 * least). Writes bench/results/publish.{json,md}; exits non-zero when the
 * catalog-only publication sends more than 5% of the full publication's
 * bytes or takes more than 10 s.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SeededRandom } from "../shared/seeded-random";
import { freePort } from "../index-builder/src/local/free-port";
import { startLocalStack } from "../index-builder/src/local/local-stack";
import { PROJECT_ROOT } from "../index-builder/src/local/wrangler";
import { AdminClient } from "../index-builder/src/publish/admin-client";
import { publishIndex, type UploadReport } from "../index-builder/src/publish/publish-index";
import { deriveVersion, retitleRows } from "../test/e2e/index-variants";
import { buildSyntheticIndex } from "./serve/synthetic-index";

const { values } = parseArgs({
  options: {
    items: { type: "string", default: "1000000" },
    edits: { type: "string", default: "1000" },
  },
});
const ITEMS = Number(values.items);
const EDITS = Number(values.edits);
const BUDGET = { bytesShare: 0.05, seconds: 10 };
const log = (line: string) => console.log(`[bench:publish] ${line}`);

const state = await mkdtemp(join(tmpdir(), "bench-publish-"));
const stack = await startLocalStack({ port: await freePort(), persistTo: join(state, "wrangler"), redis: "required" });
try {
  const t0 = performance.now();
  const built = await buildSyntheticIndex(ITEMS, join(state, "index"), log);
  log(`built ${ITEMS} items in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const options = { url: stack.url, adminKey: stack.adminKey };

  // The machine's 1-minute load average as each publication starts (other work on the machine slows wrangler dev's KV writes).
  const load: Record<string, number> = {};
  const mark = (name: string) => (load[name] = round(loadavg()[0]!, 2));
  mark("full");
  const full = await publishIndex(built.dir, options);
  log(`full publication: ${full.sentBlobs} blobs, ${mib(full.sentBytes)} MiB in ${full.seconds.toFixed(1)} s`);

  const dir = await deriveVersion(built.dir, join(state, "index"), `${built.version}-cat`, (manifest, blobs, catalog) => {
    const random = new SeededRandom(11);
    const edited = new Set<number>();
    while (edited.size < EDITS) edited.add(random.int(manifest.funnel!.itemCount));
    // Synthetic item i is "s<i>", titled "<parent title> #<i>". As a build on top of the published version
    // writes them: its title pages kept, the changed titles in a patch.
    retitleRows(manifest, blobs, (title) => edited.has(Number(title.slice(title.lastIndexOf("#") + 1))), "(remastered)");
    for (const item of catalog) if (edited.has(Number(item.itemId.slice(1)))) item.title = `${item.title} (remastered)`;
  });
  mark("catalog_only");
  const catalogOnly = await publishIndex(dir, { ...options, previousDir: built.dir });
  log(`catalog-only publication: ${catalogOnly.sentBlobs} blobs, ${mib(catalogOnly.sentBytes)} MiB in ${catalogOnly.seconds.toFixed(1)} s`);
  mark("rerun_nothing_to_send");
  const again = await publishIndex(dir, { ...options, previousDir: built.dir });
  mark("end");
  log(`again (nothing left to send): ${again.sentBlobs} blobs in ${again.seconds.toFixed(1)} s`);
  const live = await new AdminClient(options).current();

  const share = catalogOnly.sentBytes / full.sentBytes;
  const result = {
    items: ITEMS,
    edits: EDITS,
    budget: BUDGET,
    full: summary(full),
    catalog_only: summary(catalogOnly),
    rerun_nothing_to_send: summary(again),
    catalog_only_bytes_share: round(share, 4),
    machine: { cpus: cpus().length, load_average_1m: load },
    live_version: live?.version ?? null,
    ok: share <= BUDGET.bytesShare && catalogOnly.seconds <= BUDGET.seconds && live?.version === catalogOnly.version,
  };
  await mkdir(join(PROJECT_ROOT, "bench", "results"), { recursive: true });
  await writeFile(join(PROJECT_ROOT, "bench", "results", "publish.json"), JSON.stringify(result, null, 2) + "\n");
  const rows = [
    ["full publication", full],
    [`only the catalog changed (${EDITS} titles)`, catalogOnly],
    ["the same again (nothing to send)", again],
  ] as const;
  const md = [
    `Publication of a ${ITEMS}-item synthetic index through the admin API to wrangler dev on 127.0.0.1 (content-addressed blobs: a version sends only blobs the Worker lacks). Budget for the catalog-only publication: <= ${BUDGET.bytesShare * 100}% of the full publication's bytes, <= ${BUDGET.seconds} s.`,
    "",
    "| publication | blobs | sent blobs | sent MiB | of full bytes | catalog rows sent | seconds | lookup / blobs / manifest / catalog s |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows.map(
      ([name, r]) =>
        `| ${name} | ${r.blobs} | ${r.sentBlobs} | ${mib(r.sentBytes)} | ${round((100 * r.sentBytes) / full.sentBytes, 2)}% | ${r.catalogItems} | ${r.seconds.toFixed(2)} | ${[r.phases.lookup, r.phases.blobs, r.phases.manifest, r.phases.catalog].map((x) => x.toFixed(2)).join(" / ")} |`,
    ),
    "",
    `Budget ${result.ok ? "met" : "MISSED"}. Machine: ${cpus().length} CPUs, 1-minute load average ${Object.entries(load)
      .map(([k, v]) => `${v} (${k.replaceAll("_", " ")})`)
      .join(", ")}.`,
    "",
  ].join("\n");
  await writeFile(join(PROJECT_ROOT, "bench", "results", "publish.md"), md);
  console.log(md);
  if (!result.ok) process.exitCode = 1;
} finally {
  await stack.stop();
  await rm(state, { recursive: true, force: true });
}

function summary(r: UploadReport) {
  const phases = Object.fromEntries(Object.entries(r.phases).map(([k, v]) => [k, round(v, 2)]));
  return {
    version: r.version,
    blobs: r.blobs,
    bytes: r.bytes,
    sent_blobs: r.sentBlobs,
    sent_bytes: r.sentBytes,
    catalog_rows_sent: r.catalogItems,
    seconds: round(r.seconds, 2),
    phases_s: phases,
  };
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(2);
}

function round(x: number, digits: number): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}
