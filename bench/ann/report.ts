import { type AnnDataset } from "./datasets";
import { type AnnResult } from "./measure";

/** Issue 3's targets on the large set. */
const TARGET = { recall: 0.95, p99Ms: 5, faissQpsRatio: 0.5, compactBytes: 48, simdSpeedup: 3 };

/** The markdown report: one table per data set, kernel speed-ups, and a verdict per target. */
export function markdownTable(
  results: AnnResult[],
  speedups: Record<string, number>,
  datasets: AnnDataset[],
): { table: string; verdicts: string[]; failed: boolean } {
  const lines: string[] = ["# ANN benchmark (`npm run bench:ann`)", ""];
  for (const ds of datasets) {
    lines.push(`## ${ds.name}`, "", ds.source, "");
    lines.push("| system | nlist/m | nprobe | shortlist/ef | recall@10 | recall@100 | QPS | p50 ms | p99 ms | bytes/vector | build s |");
    lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const r of results.filter((x) => x.dataset === ds.name)) {
      const shape = r.nlist ? `${String(r.nlist)}/${String(r.m)}` : r.M ? `M ${String(r.M)}` : "";
      const knob = r.ef !== undefined ? `ef ${String(r.ef)}` : r.shortlist ? String(r.shortlist) : "";
      lines.push(
        `| ${r.system} | ${shape} | ${r.nprobe ?? ""} | ${knob} | ${r.recall_at_10.toFixed(3)} | ${r.recall_at_100.toFixed(3)} | ${r.qps.toFixed(0)} | ` +
          `${r.p50_ms.toFixed(3)} | ${r.p99_ms.toFixed(3)} | ${r.bytes_per_vector.toFixed(1)} | ${r.build_s.toFixed(1)} |`,
      );
    }
    lines.push("");
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
