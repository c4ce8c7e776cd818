import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Redis } from "@upstash/redis";
import { type Experiment } from "../../../shared/experiments/experiment";
import { offPolicyEstimates } from "../../../shared/experiments/ope/estimators";
import { type CandidatePolicy, clickKey, describePolicy, slateSamples } from "../../../shared/experiments/ope/slate-samples";
import { parseGuardHash, parseUsersHash } from "../../../shared/experiments/redis-rows";
import { buildReport, type ExperimentReport } from "../../../shared/experiments/report";
import { reportMarkdown } from "../../../shared/experiments/report-markdown";
import { experimentGuardKey, experimentUsersKey } from "../../../shared/online/redis-keys";
import { replayThroughIndex } from "./index-replay";
import { readEventLog, readImpressionLog, scanHash } from "./redis-logs";

export interface RedisAccess {
  url: string;
  token: string;
}

const client = (r: RedisAccess) => new Redis({ url: r.url, token: r.token, automaticDeserialization: false, enableTelemetry: false });

/**
 * `index-builder experiment-report`: the experiment's definition from the
 * Worker's admin API, its per-user attribution and guardrails scanned from
 * Redis in pages (no size limit, unlike the Worker's report route), the
 * report built by the same shared code. Writes report.json and report.md.
 */
export async function experimentReportCommand(options: {
  id: string;
  workerUrl: string;
  adminKey: string;
  redis: RedisAccess;
  outDir: string;
  log: (line: string) => void;
}): Promise<ExperimentReport> {
  const res = await fetch(`${options.workerUrl}/admin/experiments/${encodeURIComponent(options.id)}`, {
    headers: { Authorization: `Bearer ${options.adminKey}` },
  });
  if (!res.ok) throw new Error(`GET /admin/experiments/${options.id}: ${res.status} ${await res.text()}`);
  const { experiment } = (await res.json()) as { experiment: Experiment };
  const redis = client(options.redis);
  const [users, guards] = await Promise.all([scanHash(redis, experimentUsersKey(experiment.id)), scanHash(redis, experimentGuardKey(experiment.id))]);
  const report = buildReport(experiment, parseUsersHash(users), parseGuardHash(guards), Date.now());
  await mkdir(options.outDir, { recursive: true });
  await writeFile(join(options.outDir, `experiment-${experiment.id}.json`), JSON.stringify(report, null, 2) + "\n");
  const markdown = reportMarkdown(report);
  await writeFile(join(options.outDir, `experiment-${experiment.id}.md`), markdown);
  options.log(markdown);
  return report;
}

/** A candidate as the command line names it: a policy, or a built index version to replay the logs through. */
export type PolicySpec = Exclude<CandidatePolicy, { kind: "lists" }> | { kind: "index"; dir: string };

/** Parses `epsilon:RATE`, `softmax:TEMPERATURE:TOPN` or `index:DIR` (a built version directory). */
export function parsePolicy(text: string): PolicySpec {
  const [kind, a, b] = text.split(":");
  if (kind === "epsilon" && Number(a) >= 0 && Number(a) <= 1) return { kind: "epsilon", rate: Number(a) };
  if (kind === "softmax" && Number(a) > 0 && Number.isInteger(Number(b)) && Number(b) >= 2) return { kind: "softmax", temperature: Number(a), topN: Number(b) };
  if (kind === "index" && text.length > 6) return { kind: "index", dir: text.slice(6) };
  throw new Error(`policy "${text}": use epsilon:RATE (0-1), softmax:TEMPERATURE:TOPN (e.g. softmax:0.5:10) or index:DIR`);
}

/**
 * `index-builder ope`: reads the impression log (slates with propensities)
 * and the event log (clicks carrying impression ids) from Redis, and
 * estimates each candidate policy's clicks per list with IPS, SNIPS and DR
 * (bootstrap CIs) and the effective sample size, beside the logged policy's
 * observed value. An `index:DIR` candidate is that built version's funnel
 * run on each logged context (index-replay.ts). `experiment`/`variant` restrict to one arm's exposures.
 */
export async function opeCommand(options: {
  redis: RedisAccess;
  policies: PolicySpec[];
  experiment?: string;
  variant?: string;
  outDir: string;
  bootstrap: number;
  log: (line: string) => void;
}) {
  const redis = client(options.redis);
  const [all, events] = await Promise.all([readImpressionLog(redis), readEventLog(redis)]);
  const impressions = all.filter(
    (i) =>
      options.experiment === undefined ||
      i.experiments?.some((x) => x.experimentId === options.experiment && (options.variant === undefined || x.variant === options.variant)),
  );
  const clicked = new Set(events.filter((e) => e.type === "click" && e.impressionId).map((e) => clickKey(e.impressionId!, e.itemId)));
  const slots = impressions.reduce((n, i) => n + i.itemIds.length, 0);
  const perList = impressions.length > 0 ? slots / impressions.length : 0;
  let loggedClicks = 0;
  for (const i of impressions) for (const item of i.itemIds) if (clicked.has(clickKey(i.impressionId, item))) loggedClicks++;
  const policies: CandidatePolicy[] = [];
  for (const spec of options.policies) {
    if (spec.kind !== "index") policies.push(spec);
    else {
      const replayed = await replayThroughIndex(spec.dir, impressions, events);
      policies.push({ kind: "lists", label: `index ${replayed.version} (logged contexts replayed offline, no exploration)`, lists: replayed.lists });
    }
  }
  const results = policies.map((policy) => {
    const { samples, skipped } = slateSamples(impressions, clicked, policy);
    const est = offPolicyEstimates(samples, { bootstrap: options.bootstrap, seed: 7 });
    const scale = (x: { value: number; ci: [number, number] }) => ({
      value: x.value * perList,
      ci: [x.ci[0] * perList, x.ci[1] * perList] as [number, number],
    });
    return {
      policy: describePolicy(policy),
      impressionsUsed: impressions.length - skipped,
      impressionsSkipped: skipped,
      positionSamples: est.samples,
      clicksPerList: { ips: scale(est.ips), snips: scale(est.snips), dr: scale(est.dr) },
      effectiveSampleSize: Math.round(est.effectiveSampleSize),
      support: est.support,
      maxWeight: est.maxWeight,
    };
  });
  const out = {
    impressions: impressions.length,
    positionsPerList: perList,
    logged: { clicksPerList: impressions.length > 0 ? loggedClicks / impressions.length : 0 },
    filter: { experiment: options.experiment ?? null, variant: options.variant ?? null },
    estimator: "position-level (OBP's independent IPS) IPS, SNIPS and DR (reward model: click rate per position); 95% percentile bootstrap CIs",
    candidates: results,
  };
  await mkdir(options.outDir, { recursive: true });
  await writeFile(join(options.outDir, "ope.json"), JSON.stringify(out, null, 2) + "\n");
  const f = (x: number) => x.toFixed(4);
  const lines = [
    `# Off-policy estimates`,
    "",
    `${out.impressions} logged lists, ${perList.toFixed(1)} positions each; logged policy: ${f(out.logged.clicksPerList)} clicks per list.`,
    `Estimator: ${out.estimator}.`,
    "",
    "| candidate | IPS [CI] | SNIPS [CI] | DR [CI] | ESS | support |",
    "|---|---|---|---|---:|---:|",
    ...results.map(
      (r) =>
        `| ${r.policy} | ${f(r.clicksPerList.ips.value)} [${f(r.clicksPerList.ips.ci[0])}, ${f(r.clicksPerList.ips.ci[1])}] | ` +
        `${f(r.clicksPerList.snips.value)} [${f(r.clicksPerList.snips.ci[0])}, ${f(r.clicksPerList.snips.ci[1])}] | ` +
        `${f(r.clicksPerList.dr.value)} [${f(r.clicksPerList.dr.ci[0])}, ${f(r.clicksPerList.dr.ci[1])}] | ${r.effectiveSampleSize} | ${(r.support * 100).toFixed(1)}% |`,
    ),
  ];
  await writeFile(join(options.outDir, "ope.md"), lines.join("\n") + "\n");
  options.log(lines.join("\n"));
  return out;
}
