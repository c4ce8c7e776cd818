/**
 * The canary's verdict, kept pure: how one probe's answer is judged, which
 * degraded codes say something about the index version and which about the
 * environment, and the comparison of the candidate arm with the control arm
 * (the live version, probed in the same run, request for request).
 */

/**
 * Degraded codes of /v1/recommendations that do not depend on the index
 * version being served: they come from Redis, D1, the session Durable Object
 * or the experiment tables, which the candidate and the live version share.
 * Taken from the Worker's emitters (`withBudget(stage, …)` gives
 * `<stage>_timeout` / `<stage>_error`):
 * - trending: shared/funnel/sources.ts (Upstash Redis);
 * - session: worker/src/routes/recommendations.ts (the user's Durable Object);
 * - catalog_overlay (+ `catalog_overlay_stale`): recommendations.ts and
 *   shared/funnel/run-funnel.ts (D1 catalog rows changed since the build);
 * - policy_config, editorial: run-funnel.ts (D1/KV configuration, not the index);
 * - availability: run-funnel.ts (the catalog's visibility in D1);
 * - experiments, experiment_regions: worker/src/experiments/assign-user.ts.
 * Everything else — blob faults (`<blob>_missing`, `<blob>_checksum_mismatch`,
 * item pages included), `ann_*`, `funnel_*`, `ranker_*`, `heavy_rank*`,
 * `item_pages_*`, `covisit_*`, `vectors_*`, `titles_*`, `popular_*`,
 * `index_*`, `experiment_index_missing` and any code added later — counts as
 * version-dependent: an unknown code fails the candidate rather than pass it.
 */
export const ENVIRONMENT_STAGES: readonly string[] = [
  "trending",
  "session",
  "catalog_overlay",
  "policy_config",
  "editorial",
  "availability",
  "experiments",
  "experiment_regions",
];
const ENVIRONMENT_CODES: ReadonlySet<string> = new Set([...ENVIRONMENT_STAGES.flatMap((s) => [`${s}_timeout`, `${s}_error`]), "catalog_overlay_stale"]);

/**
 * Codes ignored in both arms: the heavy ranker of a version an isolate has not
 * served yet is still loading on its first requests. The candidate, pinned
 * just now, meets this more often than the warm live version, so counting it
 * would bias the comparison against every candidate; a model that fails to
 * load says `heavy_ranker_error`, which is version-dependent.
 */
export const DEFAULT_IGNORED_DEGRADED: readonly string[] = ["heavy_ranker_warming"];

/**
 * How far the candidate's rate of environment-degraded probes may exceed the
 * control's. 0.2: two standard errors of the difference of two proportions
 * when both arms share a 10% background rate over 15 probes each (the default
 * 5 users × 3 surfaces): sqrt(2 · 0.1 · 0.9 / 15) ≈ 0.11. One or two unlucky
 * probes pass; a candidate whose answers degrade systematically does not.
 */
export const DEFAULT_ENVIRONMENT_TOLERANCE = 0.2;

export type DegradedClass = "environment" | "version" | "ignored";

export function classifyDegraded(code: string, ignored: ReadonlySet<string> = new Set(DEFAULT_IGNORED_DEGRADED)): DegradedClass {
  if (ignored.has(code)) return "ignored";
  return ENVIRONMENT_CODES.has(code) ? "environment" : "version";
}

/** One probe's verdict: whole, degraded only by the environment, or a fault of what answered. */
export type ProbeOutcome = { kind: "ok" } | { kind: "environment"; codes: string[] } | { kind: "fault"; detail: string };

export interface ProbeAnswer {
  status: number;
  body: { indexVersion?: string; degraded?: string[]; items?: { itemId: string; score: number }[] } | null;
  /** The body's first characters when it was not a JSON recommendation answer. */
  text?: string;
}

/**
 * Judges one answer of the arm expecting `version`: a non-200, another
 * version, a version-dependent degradation, or an insane list (short,
 * repeating an item, a non-finite score) is a fault; the list is checked even
 * when the environment degraded it (the popular list must stand behind).
 */
export function judgeProbe(answer: ProbeAnswer, version: string, limit: number, ignored?: ReadonlySet<string>): ProbeOutcome {
  if (answer.status !== 200 || !answer.body) return { kind: "fault", detail: `status ${answer.status}: ${(answer.text ?? "").slice(0, 200)}` };
  const body = answer.body;
  if (body.indexVersion !== version) return { kind: "fault", detail: `served by ${body.indexVersion}, not ${version}` };
  const codes = body.degraded ?? [];
  const versionCodes = codes.filter((c) => classifyDegraded(c, ignored) === "version");
  if (versionCodes.length > 0) return { kind: "fault", detail: `degraded: ${versionCodes.join(", ")}` };
  const list = body.items ?? [];
  if (list.length !== limit) return { kind: "fault", detail: `${list.length} items, asked for ${limit}` };
  if (new Set(list.map((i) => i.itemId)).size !== list.length) return { kind: "fault", detail: "repeats an item" };
  if (!list.every((i) => Number.isFinite(i.score))) return { kind: "fault", detail: "a score is not finite" };
  const environment = codes.filter((c) => classifyDegraded(c, ignored) === "environment");
  return environment.length > 0 ? { kind: "environment", codes: environment } : { kind: "ok" };
}

export interface ArmStats {
  version: string;
  probes: number;
  faults: number;
  environmentDegraded: number;
  /** environmentDegraded / probes (0 without probes). */
  environmentRate: number;
  /** How many probes named each environment code. */
  environmentCodes: Record<string, number>;
}

export function armStats(version: string, outcomes: readonly ProbeOutcome[]): ArmStats {
  const codes: Record<string, number> = {};
  let faults = 0;
  let environment = 0;
  for (const o of outcomes) {
    if (o.kind === "fault") faults++;
    if (o.kind !== "environment") continue;
    environment++;
    for (const c of o.codes) codes[c] = (codes[c] ?? 0) + 1;
  }
  return {
    version,
    probes: outcomes.length,
    faults,
    environmentDegraded: environment,
    environmentRate: outcomes.length > 0 ? environment / outcomes.length : 0,
    environmentCodes: codes,
  };
}

export interface CanaryDecision {
  pass: boolean;
  /** Why it fails (empty when it passes); notes about the control arm that do not decide. */
  reasons: string[];
  notes: string[];
  candidate: ArmStats;
  control: ArmStats;
  tolerance: number;
}

/**
 * Candidate vs control: roll back when the candidate was not probed, has any
 * fault (non-200, wrong version, version-dependent degradation, insane list),
 * or its environment-degraded rate exceeds the control's by more than
 * `tolerance`. Faults of the control arm (the live version) do not block the
 * candidate; they are noted. Without control probes the candidate must be
 * free of environment degradation beyond the tolerance on its own.
 */
export function decideCanary(candidate: ArmStats, control: ArmStats, tolerance = DEFAULT_ENVIRONMENT_TOLERANCE): CanaryDecision {
  const reasons: string[] = [];
  const notes: string[] = [];
  if (candidate.probes === 0) reasons.push("no probe reached the candidate");
  if (candidate.faults > 0) reasons.push(`${candidate.faults} of ${candidate.probes} candidate probes failed`);
  const excess = candidate.environmentRate - control.environmentRate;
  // A hair of slack so that a difference equal to the tolerance is not refused by floating-point rounding.
  if (excess > tolerance + 1e-9)
    reasons.push(`environment-degraded rate ${pct(candidate.environmentRate)} vs control ${pct(control.environmentRate)}: more than ${pct(tolerance)} above`);
  if (control.probes === 0) notes.push("no control probes: the candidate's environment rate was compared with 0");
  if (control.faults > 0) notes.push(`${control.faults} of ${control.probes} control probes (live ${control.version}) failed`);
  return { pass: reasons.length === 0, reasons, notes, candidate, control, tolerance };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The canary's arms as a markdown table, for the job summary beside the gate table. */
export function canaryTable(decision: CanaryDecision, healthy: boolean): string {
  const head = `Canary: **${decision.pass && healthy ? "pass" : "ROLLED BACK"}** — control ${decision.control.version} vs candidate ${decision.candidate.version}\n\n`;
  const codes = (a: ArmStats) =>
    Object.entries(a.environmentCodes)
      .sort()
      .map(([c, n]) => `${c} ${n}`)
      .join(", ") || "–";
  const rows = [
    "| arm | version | probes | faults | environment-degraded | codes |",
    "| --- | --- | ---: | ---: | ---: | --- |",
    ...(["control", "candidate"] as const).map((arm) => {
      const a = decision[arm];
      return `| ${arm} | ${a.version} | ${a.probes} | ${a.faults} | ${a.environmentDegraded} (${pct(a.environmentRate)}) | ${codes(a)} |`;
    }),
  ];
  const rule =
    `\n\nRules: /health ok (${healthy ? "pass" : "FAIL"}); candidate faults = 0 (${decision.candidate.faults === 0 ? "pass" : "FAIL"}); ` +
    `candidate environment rate − control's ≤ ${pct(decision.tolerance)} (${pct(decision.candidate.environmentRate - decision.control.environmentRate)}).`;
  const why = [...decision.reasons, ...decision.notes].map((r) => `- ${r}`).join("\n");
  return head + rows.join("\n") + rule + (why ? `\n\n${why}\n` : "\n");
}
