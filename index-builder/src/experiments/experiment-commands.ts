import { access, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type DecisionSnapshot } from "../../../shared/experiments/decision-snapshots";
import { type Experiment } from "../../../shared/experiments/experiment";
import { offPolicyEstimates } from "../../../shared/experiments/ope/estimators";
import { type CandidatePolicy, clickKey, describePolicy, slateSamples } from "../../../shared/experiments/ope/slate-samples";
import { parseGuardHash, parseUsersHash } from "../../../shared/experiments/redis-rows";
import { buildReport, type ExperimentReport } from "../../../shared/experiments/report";
import { reportMarkdown } from "../../../shared/experiments/report-markdown";
import { experimentGuardKey, experimentUsersKey } from "../../../shared/online/redis-keys";
import { type RedisAccess, redisClient } from "../ingest/redis-client";
import { replayThroughIndex, type Reproduction } from "./index-replay";
import { readDecisionSnapshots, readEventLog, readImpressionLog, scanHash } from "./redis-logs";

/** Share of logged positions a replay of the logging policy must reproduce before an index candidate is estimated from it. */
export const MIN_REPRODUCTION = 0.99;

/** The built directories of `versions` under `root` (`<root>/<version>/manifest.json`), those that exist. */
async function builtVersions(root: string, versions: ReadonlySet<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const version of versions) {
    const dir = join(root, version);
    if (
      await access(join(dir, "manifest.json")).then(
        () => true,
        () => false,
      )
    )
      out.set(version, dir);
  }
  return out;
}

/** Why an index candidate's estimates must not be given from this replay, or undefined when they may. */
export function replayRefusal(r: Reproduction, minShare = MIN_REPRODUCTION): string | undefined {
  if (r.positions === 0) return `no logged list could be replayed in the version that served it (${describeUnreplayable(r)}): the replay cannot be checked`;
  if (r.share < minShare)
    return `replaying the logging policy reproduces ${(r.share * 100).toFixed(1)}% of logged positions (< ${(minShare * 100).toFixed(0)}%): the replayed contexts are not the logged ones`;
  return undefined;
}

function describeUnreplayable(r: Reproduction): string {
  const parts = Object.entries(r.unreplayable).map(([reason, n]) => `${n} list(s): ${reason}`);
  if (r.versionsMissing.length > 0) parts.push(`versions without a built directory: ${r.versionsMissing.join(", ")}`);
  return parts.length > 0 ? parts.join("; ") : "none";
}

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
  const redis = redisClient(options.redis);
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

/** Parses `epsilon:RATE`, `softmax:TEMPERATURE:TOPN[:FROM]` or `index:DIR` (a built version directory). */
export function parsePolicy(text: string): PolicySpec {
  const [kind, a, b, c] = text.split(":");
  if (kind === "epsilon" && Number(a) >= 0 && Number(a) <= 1) return { kind: "epsilon", rate: Number(a) };
  const from = c === undefined ? 1 : Number(c);
  if (kind === "softmax" && Number(a) > 0 && Number.isInteger(Number(b)) && Number(b) >= 2 && Number.isInteger(from) && from >= 1)
    return { kind: "softmax", temperature: Number(a), topN: Number(b), from };
  if (kind === "index" && text.length > 6) return { kind: "index", dir: text.slice(6) };
  throw new Error(`policy "${text}": use epsilon:RATE (0-1), softmax:TEMPERATURE:TOPN[:FROM] (e.g. softmax:0.5:10:4) or index:DIR`);
}

/**
 * `index-builder ope`: reads the impression log (slates with propensities)
 * and the event log (clicks carrying impression ids) from Redis, and
 * estimates each candidate policy's clicks per list with IPS, SNIPS and DR
 * (bootstrap CIs) and the effective sample size, beside the logged policy's
 * observed value. An `index:DIR` candidate is that built version's funnel
 * run on each logged context (index-replay.ts); the same replay in the
 * versions that served the logs must reproduce at least `minReproduction`
 * of the logged positions, or the candidate's estimates are withheld and
 * the report says why. `experiment`/`variant` restrict to one arm's exposures.
 */
export async function opeCommand(options: {
  redis: RedisAccess;
  policies: PolicySpec[];
  /** Where the built versions that served the logs are (`<root>/<version>`); default: each index candidate's parent directory. */
  indexRoot?: string;
  /** Least share of logged positions the replay must reproduce for an index candidate's estimates to be given (default MIN_REPRODUCTION). */
  minReproduction?: number;
  experiment?: string;
  variant?: string;
  outDir: string;
  bootstrap: number;
  log: (line: string) => void;
}) {
  const redis = redisClient(options.redis);
  const [all, events] = await Promise.all([readImpressionLog(redis), readEventLog(redis)]);
  let snapshotsRead: Promise<Map<string, DecisionSnapshot>> | null = null;
  const snapshots = () => (snapshotsRead ??= readDecisionSnapshots(redis, impressions));
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
  const policies: { policy: CandidatePolicy; replay?: Reproduction; refused?: string }[] = [];
  const minShare = options.minReproduction ?? MIN_REPRODUCTION;
  for (const spec of options.policies) {
    if (spec.kind !== "index") policies.push({ policy: spec });
    else {
      const logged = await builtVersions(options.indexRoot ?? dirname(spec.dir), new Set(impressions.map((i) => i.indexVersion)));
      const replayed = await replayThroughIndex({ candidate: spec.dir, logged }, impressions, all, events, await snapshots());
      const r = replayed.reproduction;
      const refused = replayRefusal(r, minShare);
      policies.push({
        policy: { kind: "lists", label: `index ${replayed.version} (logged contexts replayed offline, no exploration)`, lists: replayed.lists },
        replay: r,
        ...(refused ? { refused } : {}),
      });
    }
  }
  const results = policies.map(({ policy, replay, refused }) => {
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
      // A replay that does not reproduce the logging policy's lists estimates nothing trustworthy: withheld, with why.
      clicksPerList: refused ? null : { ips: scale(est.ips), snips: scale(est.snips), dr: scale(est.dr) },
      effectiveSampleSize: Math.round(est.effectiveSampleSize),
      support: est.support,
      maxWeight: est.maxWeight,
      ...(replay ? { replay } : {}),
      ...(refused ? { refused } : {}),
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
    ...results.map((r) => {
      const cell = (x: { value: number; ci: [number, number] } | undefined) => (x ? `${f(x.value)} [${f(x.ci[0])}, ${f(x.ci[1])}]` : "withheld");
      const c = r.clicksPerList;
      return `| ${r.policy} | ${cell(c?.ips)} | ${cell(c?.snips)} | ${cell(c?.dr)} | ${r.effectiveSampleSize} | ${(r.support * 100).toFixed(1)}% |`;
    }),
    ...results.flatMap((r) =>
      r.replay
        ? [
            "",
            `${r.policy}: replaying the logged lists in the versions that served them reproduces ${r.replay.reproduced} of ${r.replay.positions} positions ` +
              `(${(r.replay.share * 100).toFixed(2)}%); not replayed: ${describeUnreplayable(r.replay)}.` +
              (r.refused ? ` REFUSED: ${r.refused}.` : ""),
          ]
        : [],
    ),
  ];
  await writeFile(join(options.outDir, "ope.md"), lines.join("\n") + "\n");
  options.log(lines.join("\n"));
  return out;
}
