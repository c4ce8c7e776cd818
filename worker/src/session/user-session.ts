import { DurableObject } from "cloudflare:workers";
import { type InteractionEvent } from "../../../shared/events/event";
import { MAX_SESSION_EVENTS, migrateSessionSchema } from "./schema";

/** What a recommendation request needs from the session. */
export interface SessionSnapshot {
  /** Bumped by every batch that adds an event; part of every cache key. */
  sessionVersion: number;
  /** Items the user has interacted with, most recent first. */
  seenItemIds: string[];
}

export interface IngestResult {
  accepted: string[];
  duplicates: string[];
  sessionVersion: number;
}

/**
 * One object per user (named by user id), with SQLite storage: recent events,
 * the seen set and the session version. RPC methods, no internal router.
 */
export class UserSession extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => migrateSessionSchema(this.sql));
  }

  /**
   * Appends a user's validated events in one transaction. Idempotent on event
   * id: an id already stored is reported as a duplicate and changes nothing.
   */
  ingest(events: InteractionEvent[]): IngestResult {
    const receivedMs = Date.now();
    return this.ctx.storage.transactionSync(() => {
      const accepted: string[] = [];
      const duplicates: string[] = [];
      for (const e of events) {
        // RETURNING yields a row only when the insert happened, i.e. the id is new.
        const inserted = this.sql.exec(
          `INSERT INTO events (event_id, item_id, type, ts_ms, value, seconds, surface, impression_id, context, received_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(event_id) DO NOTHING RETURNING seq`,
          e.eventId, e.itemId, e.type, e.timestampMs, e.value ?? null, e.seconds ?? null,
          e.surface ?? null, e.impressionId ?? null, e.context ? JSON.stringify(e.context) : null, receivedMs,
        );
        if (inserted.toArray().length === 0) {
          duplicates.push(e.eventId);
          continue;
        }
        accepted.push(e.eventId);
        this.sql.exec(
          `INSERT INTO seen (item_id, first_ms, last_ms, interactions) VALUES (?, ?, ?, 1)
           ON CONFLICT(item_id) DO UPDATE SET last_ms = max(last_ms, excluded.last_ms), interactions = interactions + 1`,
          e.itemId, e.timestampMs, e.timestampMs,
        );
      }
      if (accepted.length > 0) {
        this.sql.exec(
          `DELETE FROM events WHERE seq <= (SELECT max(seq) FROM events) - ?`,
          MAX_SESSION_EVENTS,
        );
        this.sql.exec(
          `INSERT INTO meta (key, value) VALUES ('session_version', 1)
           ON CONFLICT(key) DO UPDATE SET value = value + 1`,
        );
      }
      return { accepted, duplicates, sessionVersion: this.sessionVersion() };
    });
  }

  snapshot(): SessionSnapshot {
    const seen = this.sql.exec<{ item_id: string }>(`SELECT item_id FROM seen ORDER BY last_ms DESC, item_id`).toArray();
    return { sessionVersion: this.sessionVersion(), seenItemIds: seen.map((r) => r.item_id) };
  }

  /** Number of stored events (bounded by `MAX_SESSION_EVENTS`). */
  eventCount(): number {
    return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM events`).one().n;
  }

  private sessionVersion(): number {
    const row = this.sql.exec<{ value: number }>(`SELECT value FROM meta WHERE key = 'session_version'`).toArray()[0];
    return row?.value ?? 0;
  }
}
