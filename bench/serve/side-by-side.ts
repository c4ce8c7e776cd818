/**
 * `npx tsx bench/serve/side-by-side.ts serve-1m serve-10m`: the issue's
 * serving figures of several bench:serve result files (bench/results/<name>.json),
 * one column per catalog size, written to bench/results/serve-scale.md.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../index-builder/src/local/wrangler";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const names = process.argv.slice(2);
const results: Json[] = await Promise.all(
  names.map(async (name) => JSON.parse(await readFile(join(PROJECT_ROOT, "bench", "results", `${name}.json`), "utf8")) as Json),
);
const runOf = (r: Json): Json => r.runs[r.runs.length - 1];
const rows: [string, (r: Json) => unknown][] = [
  ["catalog items", (r) => r.catalog_items],
  ["heap after 1,000 misses, distinct users, before any forced collection: JS heap used (MiB)", (r) => r.heap_mib?.before_gc.usedSize ?? "–"],
  ["… array buffers outside the JS heap, garbage included (MiB)", (r) => r.heap_mib?.before_gc.backingStorageSize ?? "–"],
  [
    "… after a full collection: JS heap used / array buffers (MiB)",
    (r) => (r.heap_mib?.after_gc ? `${r.heap_mib.after_gc.usedSize} / ${r.heap_mib.after_gc.backingStorageSize}` : "–"),
  ],
  [
    "… the Worker's own count: cache entries / version heads in the one budget / scan kernel WASM (MiB)",
    (r) => (r.heap_mib?.held_mib ? `${r.heap_mib.held_mib.cache} / ${r.heap_mib.held_mib.heads} / ${r.heap_mib.held_mib.kernel}` : "–"),
  ],
  ["… errors among those misses", (r) => r.heap_mib?.errors ?? "–"],
  ["cold isolate → first response (ms)", (r) => r.cold_first_response_ms],
  ["miss server p50 / p95 / p99, one at a time (ms)", (r) => `${r.serial.miss.p50_ms} / ${r.serial.miss.p95_ms} / ${r.serial.miss.p99_ms}`],
  ["miss server p50 / p95 / p99, 8 concurrent (ms)", (r) => `${r.miss.p50_ms} / ${r.miss.p95_ms} / ${r.miss.p99_ms}`],
  ["workerd CPU per miss minus /health/live's, one at a time (ms)", (r) => r.cpu_per_miss_ms.one_at_a_time],
  ["… 8 concurrent (ms)", (r) => r.cpu_per_miss_ms.concurrent],
  ["KV reads per miss, one at a time: mean / p95 / max", (r) => kv(r.kv_reads_per_miss.one_at_a_time)],
  ["… 8 concurrent", (r) => kv(r.kv_reads_per_miss.concurrent)],
  ["hit server p95, one at a time (ms)", (r) => r.serial.hit.p95_ms],
  [
    "index build: wall s / CPU s / peak RSS MiB",
    (r) =>
      runOf(r).index_reused
        ? "kept from an earlier run (--index-dir)"
        : `${runOf(r).index_build_s} / ${runOf(r).index_build_cpu_s ?? "–"} / ${runOf(r).build_peak_rss_mib}`,
  ],
  ["publish (s)", (r) => runOf(r).publish_s],
  ["load average (2 cores, shared) at build / publish / cold / miss / one at a time / heap", (r) => loads(runOf(r).load_avg_1m)],
  ["measured at", (r) => r.measured_at],
];
const lines = [
  `Serving at scale: ${names.map((n) => `bench/results/${n}.json`).join(", ")} (npm run bench:serve -- --items N --skip-demo --out NAME).`,
  "The machine has 2 cores, shared with other work during some runs: a load average above 2 (the row near the end) inflates latencies and CPU; sizes, reads and heap are not affected.",
  "",
  `| | ${results.map((r, i) => `${r.catalog_items.toLocaleString("en-US")} (${names[i]})`).join(" | ")} |`,
  `| --- | ${results.map(() => "---:").join(" | ")} |`,
  ...rows.map(([label, get]) => `| ${label} | ${results.map((r) => String(get(r))).join(" | ")} |`),
  "",
];
await writeFile(join(PROJECT_ROOT, "bench", "results", "serve-scale.md"), lines.join("\n"));
console.log(lines.join("\n"));

function kv(s: Json | null): string {
  return s ? `${s.mean} / ${s.p95} / ${s.max}` : "–";
}

function loads(l: Json | undefined): string {
  return l ? ["build", "publish", "cold", "miss", "miss_serial", "heap"].map((k) => l[k] ?? "–").join(" / ") : "–";
}
