import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type CanaryCheck } from "./canary-check";
import { type CanaryDecision } from "./canary-decision";
import { type VersionEvaluation } from "./evaluate-version";
import { type GateReport } from "./gate";
import { type GcPlan } from "../publish/garbage-collect";
import { type UploadReport } from "../publish/publish-index";
import { type ErasureListRecord } from "../ingest/erasures";

export const STEPS = ["ingest", "build", "evaluate", "gate", "upload", "canary", "promote", "histories", "gc"] as const;
export type StepName = (typeof STEPS)[number];

export type Outcome = "promoted" | "refused" | "rolled_back";

/** What each finished step recorded; a step with a record is not run again. */
export interface PipelineState {
  runId: string;
  startedAt: string;
  /** `erasureList`: the list ingest honoured (absent in states written before it was recorded: then no build claims it). */
  ingest?: { written: number; droppedErased: number; cursor: string | null; erasureList?: ErasureListRecord } | { skipped: string };
  /**
   * `cutAt` null: a pair-hash holdout, chosen because of `holdoutFallback` (holdout.ts). `trainEvents`: the rows on the
   * holdout's training side (base data and live events). `liveEvents`: every ingested live event, trained on or not;
   * `liveEventsTrained` of them are on the training side, `liveEventsHeldOut` on the held-out side (absent in states
   * written before they were recorded). With `--candidate` these describe the gate's split, not what that build trained on.
   */
  build?: {
    dir: string;
    version: string;
    cutAt: string | null;
    holdoutFallback?: string;
    trainEvents: number;
    liveEvents: number;
    liveEventsTrained?: number;
    liveEventsHeldOut?: number;
  };
  evaluate?: { candidate: VersionEvaluation; blobProblems: string[] };
  gate?: GateReport;
  upload?: UploadReport;
  /**
   * The canary experiment (its id, so promotion or rollback stops it), its checks, and the comparison of
   * its arms (probe counts and environment-degraded rates of candidate and control); no decision when an
   * earlier attempt of the run had already stopped it.
   */
  canary?: { experimentId: string; pass: boolean; checks: CanaryCheck[]; decision?: CanaryDecision; healthy?: boolean } | { skipped: string };
  promote?: { from: string | null; to: string };
  /** The base data's users' histories seeded under the promoted version's weights (publish/seed-histories.ts). */
  histories?: { users: number; unchanged: number; items: number; erasedRows: number; seconds: number } | { skipped: string };
  gc?: GcPlan;
  outcome?: Outcome;
  finishedAt?: string;
}

const STATE_FILE = "state.json";

/**
 * The run in progress in `workDir`, or a new one when the last run finished
 * or gated another given build (that one is kept as runs/<runId>.json). Written after every step, by
 * rename, so a crash leaves the last finished step recorded.
 */
export async function openRun(workDir: string, now: Date, candidateDir?: string): Promise<PipelineState> {
  await mkdir(join(workDir, "runs"), { recursive: true });
  const text = await readFile(join(workDir, STATE_FILE), "utf8").catch(() => null);
  if (text) {
    const state = JSON.parse(text) as PipelineState;
    // A run for another given build is not this run's retry: it is set aside unfinished.
    const sameCandidate = candidateDir === undefined || state.build === undefined || state.build.dir === candidateDir;
    if (!state.outcome && sameCandidate) return state;
    await rename(join(workDir, STATE_FILE), join(workDir, "runs", `${state.runId}.json`));
  }
  return { runId: now.toISOString().replace(/[-:.]/g, ""), startedAt: now.toISOString() };
}

export async function saveRun(workDir: string, state: PipelineState): Promise<void> {
  const file = join(workDir, STATE_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify(state, null, 2));
  await rename(`${file}.tmp`, file);
}
