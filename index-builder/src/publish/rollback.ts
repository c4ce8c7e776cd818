import { type CurrentPointer, type PointerHistory } from "../../../shared/index-format/keys";
import { stopAllCanaries } from "../pipeline/canary-experiment";
import { AdminApiError, AdminClient, type AdminClientOptions } from "./admin-client";

/** A version rollback passes over, and why; `deleted` when it has no manifest any more (gc, or a DELETE). */
export interface SkippedVersion {
  version: string;
  reason: string;
  deleted?: true;
}

const DELETED = "deleted: it has no manifest any more";

/**
 * Where a rollback from `current` goes when no version is named: the latest
 * version in the pointer history that was not itself rolled back from.
 * The history is replayed as a stack: a version made current again while it
 * is still on the stack is a return to it, and every version above it was
 * rolled back from (a new build gets a new name, so only a rollback, or
 * `--to`, makes an older version current again). Without this, a second
 * rollback took the newest entry that is not current, which is the bad
 * version the first one left. A version named again with `--to` is back on
 * the stack and a later rollback may return to it. A version not
 * `published` (deleted since it served) cannot be made current: it is
 * passed over too.
 */
export function rollbackTarget(
  history: PointerHistory,
  current: string | null,
  published?: ReadonlySet<string>,
): { to: string | null; skipped: SkippedVersion[] } {
  const stack: string[] = [];
  const left = new Map<string, string>();
  for (const { version, at } of history) {
    const i = stack.lastIndexOf(version);
    if (i === -1) {
      stack.push(version);
      left.delete(version);
      continue;
    }
    for (const v of stack.splice(i + 1)) left.set(v, `rolled back from: the pointer went back past it to ${version} at ${at}`);
  }
  const skipped: SkippedVersion[] = [];
  const seen = new Set<string>();
  for (const { version } of [...history].reverse()) {
    if (version === current || seen.has(version)) continue;
    seen.add(version);
    const reason = left.get(version);
    if (reason !== undefined) skipped.push({ version, reason });
    else if (published && !published.has(version)) skipped.push({ version, reason: DELETED, deleted: true });
    else return { to: version, skipped };
  }
  return { to: null, skipped };
}

/**
 * Makes an earlier version current again: `to`, or the latest version made
 * current before the current one that was not rolled back from
 * (`rollbackTarget`), so repeated rollbacks walk back through the history;
 * versions deleted since they served are passed over, each logged.
 * A canary in flight (a running experiment of the canary layer) is stopped
 * first. The pointer then carries the version's first-live time, so the
 * catalog overlay shows every catalog change made since that version went live.
 */
export async function rollback(options: AdminClientOptions & { to?: string; log?: (line: string) => void }): Promise<{ from: string | null; to: string }> {
  const client = new AdminClient(options);
  const { versions, current, history } = await client.versions();
  const published = new Set(versions.map((v) => v.version));
  const reported = new Set<string>();
  const target = () => {
    const plan = rollbackTarget(history, current, published);
    for (const s of plan.skipped) {
      if (reported.has(s.version)) continue;
      reported.add(s.version);
      options.log?.(s.deleted ? `skipped ${s.version} (${s.reason})` : `skipped ${s.version} (${s.reason}); name it with --to to make it current again`);
    }
    if (!plan.to) {
      const passed =
        plan.skipped.length > 0
          ? ` (every earlier one was ${plan.skipped.some((s) => s.deleted) ? "rolled back from or deleted" : "rolled back from"}: ${plan.skipped
              .map((s) => (s.deleted ? `${s.version} (deleted)` : s.version))
              .join(", ")})`
          : "";
      throw new Error(`no earlier version to roll back to${passed}; name one with --to`);
    }
    return plan.to;
  };
  let to = options.to ?? target();
  for (const id of await stopAllCanaries(client)) options.log?.(`canary ${id} stopped`);
  let pointer: CurrentPointer;
  for (;;) {
    try {
      pointer = await client.setCurrent(to);
      break;
    } catch (err) {
      // The listing may lag a deletion (KV lists are eventually consistent): a version the Worker finds no manifest of is passed over too.
      if (options.to || !(err instanceof AdminApiError && err.code === "not_found")) throw err;
      published.delete(to);
      to = target();
    }
  }
  options.log?.(`current version ${current ?? "(none)"} -> ${pointer.version} (catalog as of ${pointer.catalogAsOf ?? pointer.publishedAt})`);
  return { from: current, to: pointer.version };
}
