import { type AnnDataset } from "./datasets";
import { type AnnResult } from "./measure";
import { type WorkerdRow } from "./workerd-search";

/** The run's command and the machine's load while it ran (shared machine: figures are only comparable within one run). */
export interface RunMeta {
  command: string;
  repeats: number;
  started: { at: string; loadavg_1_5_15: number[]; cpus: number };
  finished: { at: string; loadavg_1_5_15: number[]; cpus: number };
  loads: Record<string, { at: string; loadavg_1_5_15: number[] }[]>;
}

/** Issue 3's targets on the large set. */
const TARGET = { recall: 0.95, p99Ms: 5, faissQpsRatio: 0.5, compactBytes: 48, simdSpeedup: 3 };

/** The markdown report: one table per data set, kernel speed-ups, and a verdict per target. */
export function markdownTable(
  results: AnnResult[],
  speedups: Record<string, number>,
  datasets: AnnDataset[],
  run: { meta: RunMeta; workerd: WorkerdRow[] },
): { table: string; verdicts: string[]; failed: boolean } {
  const { meta } = run;
  const lines: string[] = [
    "# ANN benchmark (`npm run bench:ann`)",
    "",
    `\`${meta.command}\`, ${meta.started.cpus} CPUs, ${meta.repeats} timed passes per setting (medians). ` +
      `Load average (1/5/15 min) ${meta.started.loadavg_1_5_15.join("/")} at the start, ${meta.finished.loadavg_1_5_15.join("/")} at the end: ` +
      "the machine is shared, so QPS and latency move with it; CPU per query moves less, and ratios within one run compare like with like.",
    "",
  ];
  for (const ds of datasets) {
    const load = meta.loads[ds.name] ?? [];
    lines.push(`## ${ds.name}`, "", `${ds.source}. Load average ${load.map((l) => l.loadavg_1_5_15.join("/")).join(" → ")}.`, "");
    lines.push("| system | nlist/m | nprobe | shortlist/ef | recall@10 | recall@100 | QPS | p50 ms | p99 ms | CPU ms/query | bytes/vector | build s |");
    lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const r of results.filter((x) => x.dataset === ds.name)) {
      const shape = r.nlist ? `${String(r.nlist)}/${String(r.m)}` : r.M ? `M ${String(r.M)}` : "";
      const knob = r.ef !== undefined ? `ef ${String(r.ef)}` : r.shortlist ? String(r.shortlist) : "";
      lines.push(
        `| ${r.system} | ${shape} | ${r.nprobe ?? ""} | ${knob} | ${r.recall_at_10.toFixed(3)} | ${r.recall_at_100.toFixed(3)} | ${r.qps.toFixed(0)} | ` +
          `${r.p50_ms.toFixed(3)} | ${r.p99_ms.toFixed(3)} | ${r.cpu_ms_per_query?.toFixed(3) ?? ""} | ${r.bytes_per_vector.toFixed(1)} | ${r.build_s.toFixed(1)} |`,
      );
    }
    lines.push("", ...fastScanComparison(results.filter((r) => r.dataset === ds.name)));
    lines.push("", ...workerdTable(run.workerd.filter((r) => r.dataset === ds.name)));
  }
  lines.push("## WASM SIMD kernel vs the scalar TypeScript reference (same inputs, median of 15)", "");
  for (const [step, x] of Object.entries(speedups)) lines.push(`- ${step}: ${x.toFixed(2)}x`);
  lines.push("");

  const large = datasets.at(-1)!.name;
  const rows = results.filter((r) => r.dataset === large);
  const ours = rows.filter((r) => r.system.startsWith("ours"));
  const verdicts: string[] = [];
  let failed = false;
  const verdict = (ok: boolean, text: string) => {
    verdicts.push(`${ok ? "MET   " : "BROKEN"} ${text}`);
    failed ||= !ok;
  };

  const fast = ours.filter((r) => r.recall_at_100 >= TARGET.recall && r.p99_ms <= TARGET.p99Ms).sort((a, b) => b.qps - a.qps)[0];
  verdict(
    fast !== undefined,
    fast
      ? `recall@100 >= ${TARGET.recall} at p99 <= ${TARGET.p99Ms} ms: ${fast.system} nprobe ${fast.nprobe} shortlist ${String(fast.shortlist)}: recall@100 ${fast.recall_at_100.toFixed(3)}, p99 ${fast.p99_ms.toFixed(2)} ms, ${fast.bytes_per_vector.toFixed(1)} bytes/vector`
      : `no operating point of ours reaches recall@100 ${TARGET.recall} at p99 <= ${TARGET.p99Ms} ms`,
  );

  for (const f of rows.filter((r) => r.system.startsWith("faiss"))) {
    const match = ours.filter((o) => o.recall_at_100 >= f.recall_at_100 && o.bytes_per_vector <= f.bytes_per_vector).sort((a, b) => b.qps - a.qps)[0];
    const label = `${f.system} nprobe ${f.nprobe}${f.shortlist ? ` shortlist ${String(f.shortlist)}` : ""} (recall@100 ${f.recall_at_100.toFixed(3)}, ${f.bytes_per_vector.toFixed(1)} B, ${f.qps.toFixed(0)} QPS)`;
    if (!match) {
      verdicts.push(`n/a    vs ${label}: no point of ours with at least its recall and at most its bytes/vector`);
      continue;
    }
    const ratio = match.qps / f.qps;
    verdict(
      ratio >= TARGET.faissQpsRatio,
      `vs ${label}: ours ${match.system} nprobe ${match.nprobe} at ${match.qps.toFixed(0)} QPS = ${ratio.toFixed(2)}x (target >= ${TARGET.faissQpsRatio}x${ratio >= 1 ? ", beats it" : ""})`,
    );
  }

  const compact = ours.filter((r) => r.bytes_per_vector <= TARGET.compactBytes).sort((a, b) => b.recall_at_100 - a.recall_at_100)[0];
  verdict(
    compact !== undefined,
    compact
      ? `operating point <= ${TARGET.compactBytes} bytes/vector: ${compact.system} nprobe ${compact.nprobe}: ${compact.bytes_per_vector.toFixed(1)} B, recall@10 ${compact.recall_at_10.toFixed(3)}, recall@100 ${compact.recall_at_100.toFixed(3)}`
      : `no operating point of ours at <= ${TARGET.compactBytes} bytes/vector`,
  );
  const endToEnd = Object.entries(speedups).filter(([name]) => name.endsWith("search_nprobe64_shortlist1000"));
  const best = Math.max(0, ...endToEnd.map(([, x]) => x));
  verdict(
    best >= TARGET.simdSpeedup,
    `SIMD kernel vs scalar reference, whole search (nprobe 64, shortlist 1000): ${endToEnd.map(([name, x]) => `${name.split(":")[0]} ${x.toFixed(2)}x`).join(", ")} (target >= ${TARGET.simdSpeedup}x)`,
  );

  lines.push("## Targets (large set)", "", ...verdicts.map((v) => `- ${v}`), "");
  return { table: lines.join("\n"), verdicts, failed };
}

/**
 * Our 4-bit index against FAISS's 4-bit fast scan at the same nlist, M,
 * nprobe and shortlist (the refine shortlist is k_factor x 100), and the
 * fastest setting of ours reaching at least FAISS's recall@10.
 */
function fastScanComparison(rows: AnnResult[]): string[] {
  const ours = rows.filter((r) => r.system.startsWith("ours") && r.nbits === 4);
  const faiss = rows.filter((r) => r.system.startsWith("faiss-ivfpq4fs"));
  if (ours.length === 0 || faiss.length === 0) return [];
  const out = [
    "Ours (4-bit codes, SQ8 re-scoring) beside FAISS IndexIVFPQFastScan at the same knobs; ratios are ours ÷ FAISS (QPS: above 1 is faster; CPU: below 1 is cheaper).",
    "",
    "| FAISS system | nprobe | shortlist | recall@10 FAISS / ours | QPS FAISS / ours | QPS ratio | p50 ms FAISS / ours | CPU ms/query FAISS / ours | CPU ratio | ours at ≥ its recall@10: best QPS ratio |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const f of faiss) {
    const same = ours
      .filter((o) => o.nprobe === f.nprobe)
      .sort((a, b) => Math.abs(Number(a.shortlist) - Number(f.shortlist)) - Math.abs(Number(b.shortlist) - Number(f.shortlist)))[0];
    const matched = ours.filter((o) => o.recall_at_10 >= f.recall_at_10).sort((a, b) => b.qps - a.qps)[0];
    const pair = (a: number | undefined, b: number | undefined, digits: number) => `${a?.toFixed(digits) ?? "–"} / ${b?.toFixed(digits) ?? "–"}`;
    const ratio = (a: number | undefined, b: number | undefined) => (a && b ? (a / b).toFixed(2) : "–");
    out.push(
      `| ${f.system} | ${f.nprobe} | ${String(f.shortlist || "")}${same && same.shortlist !== f.shortlist ? ` (ours ${String(same.shortlist)})` : ""} | ` +
        `${pair(f.recall_at_10, same?.recall_at_10, 3)} | ${pair(f.qps, same?.qps, 0)} | ${ratio(same?.qps, f.qps)} | ${pair(f.p50_ms, same?.p50_ms, 3)} | ` +
        `${pair(f.cpu_ms_per_query, same?.cpu_ms_per_query, 3)} | ${ratio(same?.cpu_ms_per_query, f.cpu_ms_per_query)} | ` +
        `${matched ? `${(matched.qps / f.qps).toFixed(2)} (nprobe ${matched.nprobe}, recall@10 ${matched.recall_at_10.toFixed(3)})` : "none reaches it"} |`,
    );
  }
  return [...out, ""];
}

/** Our index searched inside workerd (bench/ann/workerd), CPU per query beside Node's for the same search. */
function workerdTable(rows: WorkerdRow[]): string[] {
  if (rows.length === 0) return [];
  return [
    "Inside workerd (wrangler's local runtime, the bench Worker bench/ann/workerd): CPU per query is the workerd process's CPU over " +
      "the search requests minus as many no-op requests, median of the rounds; recall is of the ids workerd returned.",
    "",
    "| system | nprobe | shortlist | recall@10 | recall@100 | workerd CPU ms/query | Node CPU ms/query | workerd ÷ Node | queries per round × rounds |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.system} | ${r.nprobe} | ${r.shortlist} | ${r.recall_at_10.toFixed(3)} | ${r.recall_at_100.toFixed(3)} | ${r.workerd_cpu_ms_per_query.toFixed(3)} | ` +
        `${r.node_cpu_ms_per_query.toFixed(3)} | ${(r.workerd_cpu_ms_per_query / r.node_cpu_ms_per_query).toFixed(2)} | ${r.queries_per_round} × ${r.rounds} |`,
    ),
    "",
  ];
}
