import { type VersionEvaluation } from "./evaluate-version";

/** What the gate tolerates. */
export interface GateConfig {
  /** Largest relative drop of nDCG@10 from the live version's (0.05: the candidate may score 5% less). */
  ndcgTolerance: number;
  /** Smallest mean recall@100 of the candidate's ANN index against brute force, as calibrated at build. */
  annRecallFloor: number;
  /** Smallest candidate coverage as a fraction of the live version's: below it, coverage has collapsed. */
  coverageFloorRatio: number;
}

export const DEFAULT_GATE: GateConfig = { ndcgTolerance: 0.05, annRecallFloor: 0.9, coverageFloorRatio: 0.5 };

export interface GateRow {
  check: string;
  live: string;
  candidate: string;
  rule: string;
  pass: boolean;
}

export interface GateReport {
  pass: boolean;
  rows: GateRow[];
  live: VersionEvaluation | null;
  candidate: VersionEvaluation;
  config: GateConfig;
  /** Every problem of the candidate's blobs (none when it passes). */
  blobProblems: string[];
}

const fmt = (x: number | null | undefined) => (x === null || x === undefined ? "–" : x.toFixed(4));

/**
 * Decides whether a candidate may replace the live version: nDCG@10 on the
 * same holdout no worse than the tolerance allows, its ANN calibration
 * recall above the floor, its catalog coverage not collapsed against the
 * live version's, no malformed blob and no degraded list. Without a live
 * version, the comparisons pass and the absolute checks still hold.
 */
export function gate(live: VersionEvaluation | null, candidate: VersionEvaluation, problems: string[], config: GateConfig = DEFAULT_GATE): GateReport {
  const rows: GateRow[] = [];
  // A version that trained on the held-out events scores itself on what it saw: comparing it
  // with one that did not (the first pipeline run after a plain `build` + `publish`) says nothing.
  const comparable = live !== null && live.sawHoldout === candidate.sawHoldout;
  const ndcgFloor = comparable ? live.ndcgAt10 * (1 - config.ndcgTolerance) : 0;
  rows.push({
    check: "nDCG@10",
    live: fmt(live?.ndcgAt10),
    candidate: fmt(candidate.ndcgAt10),
    rule: comparable
      ? `>= ${fmt(ndcgFloor)} (live - ${config.ndcgTolerance * 100}%)`
      : live
        ? "not compared: only one of them trained on the held-out events"
        : "no live version",
    pass: candidate.ndcgAt10 >= ndcgFloor,
  });
  rows.push({ check: "recall@10", live: fmt(live?.recallAt10), candidate: fmt(candidate.recallAt10), rule: "reported", pass: true });
  rows.push({
    check: "ANN calibration recall@100",
    live: fmt(live?.annRecallAt100),
    candidate: fmt(candidate.annRecallAt100),
    rule: `>= ${config.annRecallFloor}`,
    pass: candidate.annRecallAt100 !== null && candidate.annRecallAt100 >= config.annRecallFloor,
  });
  const coverageFloor = live ? live.coverage * config.coverageFloorRatio : 0;
  rows.push({
    check: "catalog coverage@10",
    live: fmt(live?.coverage),
    candidate: fmt(candidate.coverage),
    rule: live ? `>= ${fmt(coverageFloor)} (live x ${config.coverageFloorRatio})` : "no live version",
    pass: candidate.coverage >= coverageFloor && candidate.coverage > 0,
  });
  rows.push({
    check: "malformed blobs",
    live: "–",
    candidate: String(problems.length),
    rule: "= 0",
    pass: problems.length === 0,
  });
  const degraded = Object.values(candidate.degraded).reduce((a, b) => a + b, 0);
  rows.push({
    check: "degraded lists",
    live: live ? String(Object.values(live.degraded).reduce((a, b) => a + b, 0)) : "–",
    candidate: String(degraded),
    rule: "= 0",
    pass: degraded === 0,
  });
  rows.push({
    check: "ranking order (lists)",
    live: live ? orderCell(live) : "–",
    candidate: orderCell(candidate),
    rule: "as each manifest names it (ranking.order)",
    pass: true,
  });
  rows.push({
    check: "users evaluated (warm)",
    live: live ? `${live.users} (${live.warmUsers})` : "–",
    candidate: `${candidate.users} (${candidate.warmUsers})`,
    rule: "> 0",
    pass: candidate.users > 0,
  });
  return { pass: rows.every((r) => r.pass), rows, live, candidate, config, blobProblems: problems };
}

function orderCell(e: VersionEvaluation): string {
  const lists = Object.entries(e.rankers)
    .sort((a, b) => b[1] - a[1])
    .map(([ranker, n]) => `${ranker} ${n}`)
    .join(", ");
  return `${e.order ?? "default"}${lists ? ` (${lists})` : ""}`;
}

/** The gate as a markdown table (the CI job summary). */
export function gateTable(report: GateReport): string {
  const head = `Gate: **${report.pass ? "pass" : "REFUSED"}** — live ${report.live?.version ?? "(none)"} vs candidate ${report.candidate.version}\n\n`;
  const lines = ["| check | live | candidate | rule | result |", "| --- | ---: | ---: | --- | --- |"];
  for (const r of report.rows) lines.push(`| ${r.check} | ${r.live} | ${r.candidate} | ${r.rule} | ${r.pass ? "pass" : "FAIL"} |`);
  const problems =
    report.blobProblems.length > 0
      ? `\n\nMalformed blobs:\n${report.blobProblems
          .slice(0, 20)
          .map((p) => `- ${p}`)
          .join("\n")}\n`
      : "\n";
  return head + lines.join("\n") + problems;
}
