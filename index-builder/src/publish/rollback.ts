import { stopAllCanaries } from "../pipeline/canary-experiment";
import { AdminClient, type AdminClientOptions } from "./admin-client";

/**
 * Makes an earlier version current again: `to`, or the version that was
 * current before the current one. A canary in flight (a running experiment
 * of the canary layer) is stopped first.
 * The pointer then carries the version's first-live time, so the catalog
 * overlay shows every catalog change made since that version went live.
 */
export async function rollback(options: AdminClientOptions & { to?: string; log?: (line: string) => void }): Promise<{ from: string | null; to: string }> {
  const client = new AdminClient(options);
  const { current, history } = await client.versions();
  let to = options.to;
  if (!to) {
    const earlier = history.map((h) => h.version).filter((v) => v !== current);
    to = earlier.at(-1);
    if (!to) throw new Error("no earlier version to roll back to; name one with --to");
  }
  for (const id of await stopAllCanaries(client)) options.log?.(`canary ${id} stopped`);
  const pointer = await client.setCurrent(to);
  options.log?.(`current version ${current ?? "(none)"} -> ${pointer.version} (catalog as of ${pointer.catalogAsOf ?? pointer.publishedAt})`);
  return { from: current, to: pointer.version };
}
