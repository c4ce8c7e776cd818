import { type Experiment, type Holdout } from "../../../shared/experiments/experiment";
import { type AdminClient } from "../publish/admin-client";

/**
 * The publication canary is an experiment like any other (DESIGN: "a
 * variant that pins another index version is how per-region A/B routing and
 * the publication canary work: the same mechanism"), in a layer of its own
 * so that it never excludes a product experiment.
 */
export const CANARY_LAYER = "canary";
/** Its variants: `live` serves the current version (no override), `candidate` pins the new one. */
export const CANARY_VARIANTS = { live: "live", candidate: "candidate" } as const;

export interface CanaryConfig {
  /** Fraction of users, in (0, 1], served the candidate (within `regions` when set). */
  share: number;
  /** Lower-case country codes (or "global") whose users the canary covers; null for everywhere. */
  regions: string[] | null;
}

/** Percent with at most two decimals, as the experiments API takes it. */
const percent = (x: number) => Math.round(x * 100) / 100;

/**
 * The canary's definition in the experiments API's input form. The layer
 * range is twice the share (up to all of it) split evenly, so the
 * candidate's users have a control group of the same size on the live
 * version; with regions, only those regions' allocations give the
 * candidate a share and every other region gets the live version.
 */
export function canaryDefinition(id: string, version: string, config: CanaryConfig): Record<string, unknown> {
  const traffic = Math.max(0.02, percent(Math.min(100, 200 * config.share)));
  const candidate = percent(Math.min(100, (100 * 100 * config.share) / traffic));
  const split = { [CANARY_VARIANTS.live]: percent(100 - candidate), [CANARY_VARIANTS.candidate]: candidate };
  const allocation: Record<string, Record<string, number>> = config.regions
    ? { default: { [CANARY_VARIANTS.live]: 100 }, ...Object.fromEntries(config.regions.map((r) => [r, split])) }
    : { default: split };
  return {
    id,
    name: `publication canary of index ${version}`,
    layer: CANARY_LAYER,
    salt: id,
    traffic,
    control: CANARY_VARIANTS.live,
    variants: { [CANARY_VARIANTS.live]: {}, [CANARY_VARIANTS.candidate]: { indexVersion: version } },
    allocation,
  };
}

/** The canary experiment's id for a pipeline run: the same on every retry of the run. */
export const canaryId = (runId: string) => `canary-${runId}`;

/**
 * Creates and starts the run's canary experiment, or picks it up where an
 * interrupted attempt left it ("stopped" when that attempt had stopped it). A canary of another run still running (its
 * run's state was lost) is stopped first: two cannot share the layer's traffic. When the start fails, the draft is
 * withdrawn (it pins no version) before the error is thrown.
 */
export async function startCanary(
  client: AdminClient,
  runId: string,
  version: string,
  config: CanaryConfig,
  log: (line: string) => void,
): Promise<{ experiment: Experiment; holdout: Holdout } | "stopped"> {
  const id = canaryId(runId);
  const { experiments, holdout } = await client.experiments();
  let experiment = experiments.find((e) => e.id === id) ?? null;
  // Only a failed check stops the canary inside its step: an attempt that stopped it and then crashed had failed.
  if (experiment?.status === "stopped") return "stopped";
  for (const stale of experiments.filter((e) => e.layer === CANARY_LAYER && e.status === "running" && e.id !== id)) {
    log(`stopping canary ${stale.id} of an earlier run`);
    await client.stopExperiment(stale.id);
  }
  const definition = canaryDefinition(id, version, config);
  // A draft an earlier attempt left (withdrawn below when its start failed) gets this attempt's definition back.
  if (experiment === null) experiment = await client.createExperiment(definition);
  else if (experiment.status === "draft") experiment = await client.updateExperiment(id, definition);
  if (experiment.status === "draft") {
    try {
      experiment = await client.startExperiment(id);
    } catch (err) {
      await withdrawDraft(client, definition, version, log);
      throw err;
    }
  }
  log(`canary experiment ${id} running: ${experiment.trafficEnd - experiment.trafficStart} of 10000 buckets of layer ${CANARY_LAYER}`);
  return { experiment, holdout };
}

/**
 * A canary draft whose start failed (another canary started in the layer
 * meanwhile: 400 overlapping_experiment) made to pin nothing. The Worker
 * neither deletes a draft nor stops one (only a running experiment stops),
 * and a draft pinning the candidate kept gc from ever deleting that version
 * (409 version_conflict); a draft may still change, so its candidate variant
 * loses its `indexVersion`. A later attempt of the run puts it back.
 */
async function withdrawDraft(client: AdminClient, definition: Record<string, unknown>, version: string, log: (line: string) => void): Promise<void> {
  const id = definition.id as string;
  const variants = { [CANARY_VARIANTS.live]: {}, [CANARY_VARIANTS.candidate]: {} };
  try {
    await client.updateExperiment(id, { ...definition, name: `withdrawn publication canary of index ${version} (it did not start)`, variants });
    log(`canary ${id} did not start: its draft now pins no version (the Worker cannot delete a draft), so gc may collect ${version}`);
  } catch (err) {
    log(`WARNING: canary ${id} did not start, and its draft still pins ${version} (gc keeps it): ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Stops the canary when it still runs (promotion, after the pointer moved; or rollback). */
export async function stopCanary(client: AdminClient, id: string): Promise<void> {
  const experiment = await client.experiment(id);
  if (experiment?.status === "running") await client.stopExperiment(id);
}

/** Stops every running canary (a manual rollback withdraws whatever candidate is being tried); returns their ids. */
export async function stopAllCanaries(client: AdminClient): Promise<string[]> {
  const running = (await client.experiments()).experiments.filter((e) => e.layer === CANARY_LAYER && e.status === "running");
  for (const e of running) await client.stopExperiment(e.id);
  return running.map((e) => e.id);
}
