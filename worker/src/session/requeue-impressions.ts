import { type ImpressionRecord } from "../redis/impressions";
import { sessionStub } from "./session-stub";

/**
 * Hands impressions Redis did not take to their users' sessions, whose
 * outboxes deliver them like events once Redis is back. Only an impression
 * whose session cannot be reached either is lost, and the log says which.
 */
export async function requeueImpressions(env: Env, records: ImpressionRecord[]): Promise<void> {
  const byUser = new Map<string, ImpressionRecord[]>();
  for (const r of records) byUser.set(r.userId, [...(byUser.get(r.userId) ?? []), r]);
  await Promise.all(
    [...byUser].map(([userId, list]) =>
      sessionStub(env, userId)
        .queueImpressions(list)
        .catch((err: unknown) =>
          console.warn(JSON.stringify({ level: "warn", message: "impressions lost", impressionIds: list.map((r) => r.impressionId), error: String(err) })),
        ),
    ),
  );
}
