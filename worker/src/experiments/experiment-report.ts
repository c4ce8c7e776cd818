import { AppError } from "../../../shared/errors";
import { type Experiment } from "../../../shared/experiments/experiment";
import { buildReport, type ExperimentReport } from "../../../shared/experiments/report";
import { reportMarkdown } from "../../../shared/experiments/report-markdown";
import { parseGuardHash, parseUsersHash } from "../../../shared/experiments/redis-rows";
import { experimentGuardKey, experimentUsersKey } from "../../../shared/online/redis-keys";
import { unavailable } from "../http/unavailable";
import { redisFromEnv } from "../redis/redis-client";

/**
 * Reads an experiment's attribution (per-user hash) and guardrail counters
 * from Redis, and builds the report. Both hashes are read whole (HGETALL):
 * fine to some 100k exposed users; beyond, `index-builder experiment-report`
 * scans them in pages.
 */
export async function experimentReport(env: Env, e: Experiment): Promise<{ json: ExperimentReport; markdown: string }> {
  const redis = redisFromEnv(env);
  if (!redis) throw new AppError("dependency_unavailable", "Redis is not configured; exposures and attributed events live there");
  const [users, guards] = await Promise.all([
    redis.hgetall<Record<string, string | number>>(experimentUsersKey(e.id)),
    redis.hgetall<Record<string, string | number>>(experimentGuardKey(e.id)),
  ]).catch(unavailable("Redis, where exposures and attributed events live", "retry"));
  const json = buildReport(e, parseUsersHash(users ?? {}), parseGuardHash(guards ?? {}), Date.now());
  return { json, markdown: reportMarkdown(json) };
}
