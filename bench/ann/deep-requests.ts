/**
 * `npm run bench:ann-deep [-- --n 200000 --repeats 5 --out ann-deep]`: what
 * the funnel's deep ANN requests find and cost. The ANN source asks for its
 * quota plus one result per item the user has seen (up to SEEN_PAD_MAX,
 * shared/ranking/ann-request.ts), while nprobe and the SQ8 shortlist are
 * calibrated for 100 results. For the demo's iALS vectors and a synthetic
 * set of `--n` (bench/ann/datasets.ts; queries: the trained user vectors),
 * the index the build would make (defaultAnnParams, calibrated as the build
 * does), and users with 0, 500 and 1,000 seen items: recall of the exact
 * top k (brute force) and CPU per query with the shortlist flat (the
 * calibrated one, at least k: what the funnel did), with the calibrated
 * margin beyond k (annShortlist: what it does) and scaled in proportion to
 * k (a reference: what more recall costs), CPU ratios against flat. Medians of
 * `--repeats` passes over every query on this thread (process CPU time).
 * Writes bench/results/<out>.json and .md. Not a test.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CALIBRATION_K, calibrateNprobe, DEFAULT_CALIBRATION, sampleQueries } from "../../index-builder/src/ann/calibrate-nprobe";
import { defaultAnnParams } from "../../index-builder/src/ann/build-ann-blobs";
import { loadNodeKernel } from "../../index-builder/src/ann/node-kernel";
import { PROJECT_ROOT } from "../../index-builder/src/local/wrangler";
import { bruteForceSearch, recallAtK } from "../../shared/ann/brute-force";
import { buildIvfPq } from "../../shared/ann/build-ivfpq";
import { searchIvfPq } from "../../shared/ann/ivfpq-search";
import { annResultsWanted, annShortlist } from "../../shared/ranking/ann-request";
import { type AnnDataset, demoDataset, syntheticDataset } from "./datasets";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "200000" },
    repeats: { type: "string", default: "5" },
    out: { type: "string", default: "ann-deep" },
  },
});
const REPEATS = Number(values.repeats);
const QUOTA = 150; // the funnel's ANN quota (shared/funnel/knobs.ts)
const SEEN = [0, 500, 1000];
const MAX_QUERIES = 300;

interface Row {
  dataset: string;
  n: number;
  nlist: number;
  nprobe: number;
  seen: number;
  k: number;
  shortlist_flat: number;
  shortlist_served: number;
  shortlist_proportional: number;
  recall_flat: number;
  recall_served: number;
  recall_proportional: number;
  cpu_ms_flat: number;
  cpu_ms_served: number;
  cpu_ms_proportional: number;
  cpu_ratio_served: number;
  cpu_ratio_proportional: number;
}

const demo = await demoDataset(join(PROJECT_ROOT, "data", "ml-latest-small"));
const datasets: AnnDataset[] = [demo, syntheticDataset(demo, Number(values.n), { seed: 11, noise: 0.5 })];
const rows: Row[] = [];
for (const ds of datasets) {
  const kernel = loadNodeKernel();
  const n = ds.base.length / ds.dims;
  const params = defaultAnnParams(ds.dims, n);
  const index = buildIvfPq(kernel, ds.base, params, { seed: 7 });
  for (const list of index.lists) kernel.pin(list.codes);
  // As the build calibrates: on up to 200 sampled user vectors, recall@100 against brute force.
  const { calibration } = calibrateNprobe(kernel, index, ds.base, sampleQueries(ds.queries, ds.dims, 200, 5), DEFAULT_CALIBRATION);
  const queries = sampleQueries(ds.queries, ds.dims, MAX_QUERIES, 9);
  const count = queries.length / ds.dims;
  const query = (i: number) => queries.subarray(i * ds.dims, (i + 1) * ds.dims);
  const exact = loadNodeKernel();
  for (const seen of SEEN) {
    const k = Math.min(annResultsWanted(QUOTA, seen), n);
    const truth = Array.from({ length: count }, (_, i) => bruteForceSearch(exact, "ip", ds.base, ds.dims, query(i), k).ids);
    const run = (shortlist: number) => {
      const search = (i: number) => searchIvfPq(kernel, index, (l) => index.lists[l]!, query(i), { k, nprobe: calibration.nprobe, shortlist }).ids;
      let recall = 0;
      for (let i = 0; i < count; i++) recall += recallAtK(search(i), truth[i]!, k);
      const cpu = Array.from({ length: REPEATS }, () => {
        const start = process.cpuUsage();
        for (let i = 0; i < count; i++) search(i);
        const used = process.cpuUsage(start);
        return (used.user + used.system) / 1000 / count;
      }).sort((a, b) => a - b);
      return { recall: recall / count, cpuMs: cpu[(cpu.length - 1) >> 1]! };
    };
    const flatShortlist = Math.max(calibration.shortlist, k);
    const servedShortlist = annShortlist(calibration.shortlist, k);
    const proportionalShortlist = Math.max(flatShortlist, Math.ceil((calibration.shortlist * k) / CALIBRATION_K));
    const flat = run(flatShortlist);
    const served = run(servedShortlist);
    const proportional = run(proportionalShortlist);
    const row: Row = {
      dataset: ds.name,
      n,
      nlist: params.nlist,
      nprobe: calibration.nprobe,
      seen,
      k,
      shortlist_flat: flatShortlist,
      shortlist_served: servedShortlist,
      shortlist_proportional: proportionalShortlist,
      recall_flat: round(flat.recall),
      recall_served: round(served.recall),
      recall_proportional: round(proportional.recall),
      cpu_ms_flat: round(flat.cpuMs),
      cpu_ms_served: round(served.cpuMs),
      cpu_ms_proportional: round(proportional.cpuMs),
      cpu_ratio_served: round(served.cpuMs / flat.cpuMs),
      cpu_ratio_proportional: round(proportional.cpuMs / flat.cpuMs),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}

const machine = { cpus: cpus().length, model: cpus()[0]?.model ?? "unknown", loadavg: loadavg() };
const dir = join(PROJECT_ROOT, "bench", "results");
await mkdir(dir, { recursive: true });
await writeFile(
  join(dir, `${values.out}.json`),
  JSON.stringify({ quota: QUOTA, repeats: REPEATS, queries: MAX_QUERIES, machine, datasets: datasets.map((d) => d.source), rows }, null, 2) + "\n",
);
const table = [
  "| dataset | n | nlist | nprobe | seen | k | shortlist flat / served / proportional | recall@k flat / served / proportional | CPU ms/query flat / served / proportional | CPU ratio served / proportional |",
  "|---|---|---|---|---|---|---|---|---|---|",
  ...rows.map(
    (r) =>
      `| ${r.dataset} | ${r.n} | ${r.nlist} | ${r.nprobe} | ${r.seen} | ${r.k} | ${r.shortlist_flat} / ${r.shortlist_served} / ${r.shortlist_proportional} | ${r.recall_flat} / ${r.recall_served} / ${r.recall_proportional} | ${r.cpu_ms_flat} / ${r.cpu_ms_served} / ${r.cpu_ms_proportional} | ${r.cpu_ratio_served} / ${r.cpu_ratio_proportional} |`,
  ),
];
await writeFile(
  join(dir, `${values.out}.md`),
  [
    "# Deep ANN requests: the SQ8 shortlist flat, with the calibrated margin beyond k (served), or in proportion to k",
    "",
    `\`npm run bench:ann-deep\` (bench/ann/deep-requests.ts). Up to ${MAX_QUERIES} trained user vectors per data set as queries; k = the funnel's ANN quota ${QUOTA} + the items seen; nprobe and the shortlist for 100 results calibrated as the build does; recall of the exact top k; CPU per query in Node (the Worker's WASM kernel), median of ${REPEATS} passes. Machine: ${machine.cpus} × ${machine.model}, load ${machine.loadavg.map((x) => x.toFixed(2)).join(" ")}.`,
    "",
    ...datasets.map((d) => `- ${d.source}`),
    "",
    ...table,
    "",
  ].join("\n"),
);

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
