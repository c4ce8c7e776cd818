import { indexVersionsOf } from "../../../shared/experiments/experiment-input";
import { type AdminClient } from "./admin-client";

/**
 * Index versions experiments route users to, or will once started: those a
 * draft or running experiment's variant pins (the publication canary among
 * them), read through the admin API. A stopped experiment pins nothing.
 */
export async function experimentVersions(client: AdminClient): Promise<Set<string>> {
  const { experiments } = await client.experiments();
  return new Set(experiments.filter((e) => e.status !== "stopped").flatMap(indexVersionsOf));
}
