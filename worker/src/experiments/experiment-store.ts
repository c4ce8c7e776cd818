import { and, eq, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { experimentAudit, experiments, experimentSettings, type ExperimentRow } from "../../../shared/db/schema";
import { AppError } from "../../../shared/errors";
import {
  EXPERIMENTS_FRESH_MS,
  type Experiment,
  type ExperimentSet,
  type ExperimentStatus,
  type Holdout,
  NO_HOLDOUT,
} from "../../../shared/experiments/experiment";
import { type ExperimentDefinition } from "../../../shared/experiments/experiment-input";

const HOLDOUT_KEY = "holdout";

function fromRow({ experimentId, status, createdAt, updatedAt, startedAt, stoppedAt, ...same }: ExperimentRow): Experiment {
  return {
    ...same,
    id: experimentId,
    status: status as ExperimentStatus,
    createdAtMs: createdAt,
    updatedAtMs: updatedAt,
    startedAtMs: startedAt,
    stoppedAtMs: stoppedAt,
  };
}

function toRow({ id, createdAtMs, updatedAtMs, startedAtMs, stoppedAtMs, ...same }: Experiment): ExperimentRow {
  return { ...same, experimentId: id, createdAt: createdAtMs, updatedAt: updatedAtMs, startedAt: startedAtMs, stoppedAt: stoppedAtMs };
}

export async function listExperiments(db: D1Database, statuses?: ExperimentStatus[]): Promise<Experiment[]> {
  const orm = drizzle(db);
  const rows = statuses ? await orm.select().from(experiments).where(inArray(experiments.status, statuses)) : await orm.select().from(experiments);
  return rows.map(fromRow).sort((a, b) => a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : 1));
}

export async function getExperiment(db: D1Database, id: string): Promise<Experiment> {
  const row = (await drizzle(db).select().from(experiments).where(eq(experiments.experimentId, id)).limit(1))[0];
  if (!row) throw new AppError("not_found", `no experiment "${id}"`);
  return fromRow(row);
}

/**
 * Writes an experiment with its audit row in one D1 batch (a transaction):
 * both or neither. `expectStatus` guards the transition against a
 * concurrent one: the update matches only a row still in that status.
 */
export async function saveExperiment(db: D1Database, e: Experiment, action: string, requestId: string, expectStatus?: ExperimentStatus): Promise<void> {
  const orm = drizzle(db);
  const { experimentId: _id, createdAt: _created, ...changes } = toRow(e);
  const write = expectStatus
    ? orm
        .update(experiments)
        .set(changes)
        .where(and(eq(experiments.experimentId, e.id), eq(experiments.status, expectStatus)))
        .toSQL()
    : orm.insert(experiments).values(toRow(e)).onConflictDoNothing().toSQL();
  // One D1 batch (a transaction); the audit row goes in only when the write changed a row (changes() counts
  // the previous statement's). Drizzle cannot batch raw SQL, so both go to D1 as prepared statements.
  const [result] = await db.batch([
    db.prepare(write.sql).bind(...write.params),
    db
      .prepare("INSERT INTO experiment_audit (subject, action, after, at, request_id) SELECT ?, ?, ?, ?, ? WHERE changes() > 0")
      .bind(e.id, action, JSON.stringify(e), e.updatedAtMs, requestId),
  ]);
  if ((result?.meta.changes ?? 0) > 0) return;
  throw new AppError(
    "experiment_conflict",
    expectStatus ? `experiment "${e.id}" is no longer ${expectStatus}; nothing was stored` : `experiment "${e.id}" exists already; nothing was stored`,
  );
}

/**
 * Deletes a draft (an experiment that never ran: no user was ever assigned
 * to it) with an audit row holding its last definition, in one D1 batch.
 * Refused for anything else: a running experiment is stopped instead, and a
 * stopped one is kept for its report and audit trail.
 */
export async function deleteDraft(db: D1Database, id: string, requestId: string, nowMs: number): Promise<Experiment> {
  const current = await getExperiment(db, id);
  if (current.status !== "draft") {
    throw new AppError(
      "experiment_conflict",
      `experiment "${id}" is ${current.status}: only a draft, which never ran, can be deleted (stop a running one; a stopped one stays for its report); nothing was changed`,
    );
  }
  const [removed] = await db.batch([
    db.prepare("DELETE FROM experiments WHERE experiment_id = ? AND status = 'draft'").bind(id),
    db
      .prepare("INSERT INTO experiment_audit (subject, action, after, at, request_id) SELECT ?, 'delete', ?, ?, ? WHERE changes() > 0")
      .bind(id, JSON.stringify(current), nowMs, requestId),
  ]);
  if ((removed?.meta.changes ?? 0) === 0) throw new AppError("experiment_conflict", `experiment "${id}" is no longer a draft; nothing was changed`);
  return current;
}

export async function readHoldout(db: D1Database): Promise<Holdout> {
  const row = (await drizzle(db).select().from(experimentSettings).where(eq(experimentSettings.key, HOLDOUT_KEY)).limit(1))[0];
  return (row?.value as Holdout | undefined) ?? NO_HOLDOUT;
}

export async function writeHoldout(db: D1Database, holdout: Holdout, requestId: string, nowMs: number): Promise<void> {
  const orm = drizzle(db);
  await orm.batch([
    orm
      .insert(experimentSettings)
      .values({ key: HOLDOUT_KEY, value: holdout, updatedAt: nowMs })
      .onConflictDoUpdate({
        target: experimentSettings.key,
        set: { value: holdout, updatedAt: nowMs },
      }),
    orm.insert(experimentAudit).values({ subject: `settings:${HOLDOUT_KEY}`, action: "set", after: holdout, at: nowMs, requestId }),
  ]);
}

export async function auditOf(db: D1Database, subject: string): Promise<{ action: string; at: number; requestId: string | null }[]> {
  return drizzle(db)
    .select({ action: experimentAudit.action, at: experimentAudit.at, requestId: experimentAudit.requestId })
    .from(experimentAudit)
    .where(eq(experimentAudit.subject, subject))
    .orderBy(experimentAudit.seq);
}

/** A new draft from a validated definition. */
export function newDraft(d: ExperimentDefinition, nowMs: number): Experiment {
  return { ...d, status: "draft", createdAtMs: nowMs, updatedAtMs: nowMs, startedAtMs: null, stoppedAtMs: null };
}

/** Served without a refresh for this long, like the catalog overlay. */
export { EXPERIMENTS_FRESH_MS };
/** Older than this, a request waits for the refresh. */
const EXPERIMENTS_MAX_AGE_MS = 60_000;

let memo: { set: ExperimentSet; readAtMs: number } | null = null;
let pending: Promise<ExperimentSet> | null = null;

/** Forgets this isolate's copy (after a change through its own admin API, which then applies at once here). */
export function forgetExperiments(): void {
  memo = null;
}

/**
 * The running experiments and the holdout, from the isolate's memo: fresh
 * for EXPERIMENTS_FRESH_MS, then served stale while one read under `defer`
 * refreshes it, and read now past EXPERIMENTS_MAX_AGE_MS. Concurrent requests share one read.
 */
export async function runningExperiments(db: D1Database, defer: (work: Promise<unknown>) => void, nowMs = Date.now()): Promise<ExperimentSet> {
  const refresh = () =>
    (pending ??= Promise.all([listExperiments(db, ["running"]), readHoldout(db)])
      .then(([running, holdout]) => {
        const set = { running, holdout };
        memo = { set, readAtMs: nowMs };
        return set;
      })
      .finally(() => (pending = null)));
  const age = memo ? nowMs - memo.readAtMs : Infinity;
  if (memo && age <= EXPERIMENTS_FRESH_MS) return memo.set;
  if (memo && age <= EXPERIMENTS_MAX_AGE_MS) {
    defer(refresh().catch((err) => console.warn(JSON.stringify({ level: "warn", message: "experiments refresh failed", error: String(err) }))));
    return memo.set;
  }
  return refresh();
}
