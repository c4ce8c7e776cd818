import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type RankingMetrics } from "./metrics";
import { type CarveReport } from "./carve-check";
import { type EvalSplit } from "./protocols";

/** One report row, in the field names CI and the index manifest read. */
export interface ReportRow {
  model: string;
  map: number;
  ndcg_at_10: number;
  precision_at_10: number;
  recall_at_10: number;
  coverage: number;
  users: number;
  fit_seconds: number;
  params: Record<string, number | string | boolean>;
  /** Figures a model measured while scoring (the funnel's retrieval recall). */
  stats?: Record<string, number>;
}

/** Published MS Recommenders notebook rows (BASELINES.md §A), same split and metrics. */
const PUBLISHED_MSR = [
  { model: "SAR (published)", map: 0.114038, ndcg: 0.393819, precision: 0.340615, recall: 0.185377 },
  { model: "BPR, Cornac (published)", map: 0.133977, ndcg: 0.444991, precision: 0.388653, recall: 0.216555 },
  { model: "BiVAE, Cornac (published)", map: 0.143562, ndcg: 0.468673, precision: 0.408165, recall: 0.220898 },
  { model: "LightGCN (published)", map: 0.120902, ndcg: 0.416371, precision: 0.359173, recall: 0.195985 },
  { model: "NCF (published)", map: 0.095231, ndcg: 0.368634, precision: 0.326935, recall: 0.163221 },
];

export function toRow(model: string, params: ReportRow["params"], m: RankingMetrics, fitMs: number): ReportRow {
  const r6 = (x: number) => Math.round(x * 1e6) / 1e6;
  return {
    model,
    map: r6(m.map),
    ndcg_at_10: r6(m.ndcgAtK),
    precision_at_10: r6(m.precisionAtK),
    recall_at_10: r6(m.recallAtK),
    coverage: r6(m.coverage),
    users: m.users,
    fit_seconds: Math.round(fitMs / 100) / 10,
    params,
  };
}

/** Writes eval-<dataset>-<protocol>.json and .md into `dir` ("given" for a split read from a file); returns their paths. */
export async function writeReport(
  dir: string,
  split: EvalSplit,
  rows: ReportRow[],
  notes: string[],
  carves: { test: CarveReport; validation: CarveReport },
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const base = join(dir, `eval-${split.dataset}-${split.reportAs ?? split.protocol}`);
  const json = {
    dataset: split.dataset,
    protocol: split.reportAs ?? split.protocol,
    split: split.description,
    train_rows: split.train.users.length,
    test_rows: split.test.users.length,
    k: 10,
    carves,
    rows,
    notes,
  };
  await writeFile(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(`${base}.md`, markdown(split, rows, notes));
  return [`${base}.json`, `${base}.md`];
}

export function markdown(split: EvalSplit, rows: ReportRow[], notes: string[]): string {
  const f = (x: number) => x.toFixed(6);
  const lines = [
    `# Offline evaluation: ${split.dataset}, protocol ${split.reportAs ?? split.protocol}`,
    "",
    `Split: ${split.description} Train rows ${split.train.users.length}, test rows ${split.test.users.length}, k = 10.`,
    "",
    "| model | MAP | nDCG@10 | Precision@10 | Recall@10 | coverage | users | fit s |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.model} | ${f(r.map)} | ${f(r.ndcg_at_10)} | ${f(r.precision_at_10)} | ${f(r.recall_at_10)} | ${f(r.coverage)} | ${r.users} | ${r.fit_seconds} |`,
    ),
  ];
  if (split.protocol === "msr") {
    lines.push(
      ...PUBLISHED_MSR.map((p) => `| ${p.model} | ${f(p.map)} | ${f(p.ndcg)} | ${f(p.precision)} | ${f(p.recall)} | | | |`),
      "",
      "Published rows: MS Recommenders `examples/06_benchmarks/movielens.ipynb` output at commit b02c95e2 (BASELINES.md §A); stochastic models there are ±0.01 references.",
    );
  }
  lines.push("", "## Parameters", "", ...rows.map((r) => `- ${r.model}: ${JSON.stringify(r.params)}`));
  const measured = rows.filter((r) => r.stats);
  if (measured.length > 0) lines.push("", "## Measured while scoring", "", ...measured.map((r) => `- ${r.model}: ${JSON.stringify(r.stats)}`));
  if (notes.length > 0) lines.push("", "## Notes", "", ...notes.map((n) => `- ${n}`));
  return `${lines.join("\n")}\n`;
}
