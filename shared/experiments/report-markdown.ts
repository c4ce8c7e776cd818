import { type ExperimentReport, type ScopeResult } from "./report";

const pct = (x: number, digits = 2) => (Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : "n/a");
const ci = (c: [number, number], digits = 2) => `[${pct(c[0], digits)}, ${pct(c[1], digits)}]`;

/** The report as markdown, for people: SRM first, then each scope's table, then guardrails. */
export function reportMarkdown(r: ExperimentReport): string {
  const lines: string[] = [];
  const level = Math.round(r.confidence * 100);
  lines.push(`# Experiment ${r.experiment.id}: ${r.experiment.name}`, "");
  lines.push(
    `Status ${r.experiment.status}; layer ${r.experiment.layer}; control ${r.experiment.control}; generated ${new Date(r.generatedAtMs).toISOString()}.`,
  );
  lines.push(`The unit is the user: CTR = clicks / impressions of a variant's users, ${level}% CIs by the delta method; lifts are against the control.`, "");
  if (r.srmFlagged) lines.push("> **WARNING: SAMPLE RATIO MISMATCH. Do not read the metrics below.**", "");
  for (const note of r.notes) lines.push(`- ${note}`);
  if (r.notes.length) lines.push("");
  for (const scope of [r.pooled, ...r.regions]) lines.push(...scopeLines(scope, level), "");
  lines.push("## Guardrails", "", "| variant | impressions | server p95 | degraded | errors |", "|---|---:|---:|---:|---:|");
  for (const g of r.guardrails)
    lines.push(
      `| ${g.variant} | ${g.impressions} | ${g.serverP95Ms === null ? "n/a" : `${g.serverP95Ms} ms`} | ${pct(g.degradedShare)} | ${pct(g.errorShare)} |`,
    );
  return lines.join("\n") + "\n";
}

function scopeLines(s: ScopeResult, level: number): string[] {
  const out = [`## ${s.scope === "pooled" ? "All regions" : `Region ${s.scope}`}`, ""];
  out.push(
    `SRM: chi-square ${s.srm.chiSquare.toFixed(2)} (df ${s.srm.df}), p = ${s.srm.pValue.toPrecision(3)}${s.srm.mismatch ? " — **MISMATCH**" : ", no mismatch"}.`,
  );
  out.push(s.cuped.on ? `CUPED: on (${s.cuped.usersWithPrePeriod} users with a pre-period).` : `CUPED: off (${s.cuped.reason}).`, "");
  out.push(`| variant | users | impressions | clicks | CTR [${level}% CI] | abs lift [CI] | rel lift [CI] | p |${s.cuped.on ? " CUPED rel lift [CI] |" : ""}`);
  out.push(`|---|---:|---:|---:|---|---|---|---:|${s.cuped.on ? "---|" : ""}`);
  for (const v of s.variants) {
    const l = v.lift;
    const row = [
      v.variant,
      v.users,
      v.impressions,
      v.events.click ?? 0,
      `${pct(v.ctr.value)} ${ci(v.ctr.ci)}`,
      l ? `${pct(l.absolute)} ${ci(l.absoluteCi)}` : "control",
      l ? `${pct(l.relative, 1)} ${ci(l.relativeCi, 1)}` : "",
      l ? l.pValue.toPrecision(3) : "",
    ];
    if (s.cuped.on) row.push(v.liftCuped ? `${pct(v.liftCuped.relative, 1)} ${ci(v.liftCuped.relativeCi, 1)}` : v.lift ? "n/a" : "control");
    out.push(`| ${row.join(" | ")} |`);
  }
  const other = new Set(s.variants.flatMap((v) => Object.keys(v.events)).filter((t) => t !== "click"));
  if (other.size > 0)
    out.push("", `Other events: ${s.variants.map((v) => `${v.variant} ${[...other].map((t) => `${t} ${v.events[t] ?? 0}`).join(", ")}`).join("; ")}.`);
  return out;
}
