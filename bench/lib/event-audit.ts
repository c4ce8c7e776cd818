import { type LocalStack } from "../../index-builder/src/local/local-stack";
import { redisClient, streamCounts } from "../../test/e2e/stream-helpers";

/** Where the accepted events ended up, once the users' outboxes drained (or the wait ran out). */
export interface EventAudit {
  in_sessions: number;
  in_stream: number;
  duplicates: number;
  lost: number;
  outbox_pending: number;
  drain_s: number;
}

/**
 * Waits until no user's outbox holds events for Redis (each Durable
 * Object's alarm retries its own), then checks every accepted event id
 * against its user's Durable Object and the Redis stream: each must be in
 * both exactly once.
 */
export async function auditAcceptedEvents(stack: LocalStack, userIds: string[], accepted: Set<string>, maxDrainMs: number): Promise<EventAudit> {
  const drainStart = performance.now();
  const admin = { Authorization: `Bearer ${stack.adminKey}` };
  const sessions = new Map<string, string[]>();
  const deadline = Date.now() + maxDrainMs;
  let pending = 0;
  for (;;) {
    pending = 0;
    for (const u of userIds) {
      const body = (await (await fetch(`${stack.url}/admin/users/${u}/events`, { headers: admin })).json()) as { eventIds: string[]; pendingOutbox: number };
      sessions.set(u, body.eventIds);
      pending += body.pendingOutbox;
    }
    if (pending === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const drainS = (performance.now() - drainStart) / 1000;

  const inSessions = new Map<string, number>();
  for (const ids of sessions.values()) for (const id of ids) inSessions.set(id, (inSessions.get(id) ?? 0) + 1);
  const stream = await streamCounts(redisClient(stack.redis!.url, stack.redis!.token));
  const audit: EventAudit = { in_sessions: 0, in_stream: 0, duplicates: 0, lost: 0, outbox_pending: pending, drain_s: Math.round(drainS * 10) / 10 };
  for (const id of accepted) {
    const s = inSessions.get(id) ?? 0;
    const r = stream.get(id) ?? 0;
    if (s >= 1) audit.in_sessions++;
    if (r >= 1) audit.in_stream++;
    if (s > 1 || r > 1) audit.duplicates++;
    if (s === 0 || r === 0) audit.lost++;
  }
  return audit;
}
