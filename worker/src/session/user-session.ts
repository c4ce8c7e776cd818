import { SESSION_RECENT_EVENTS } from "../../../shared/funnel/session";
import { DurableObject } from "cloudflare:workers";
import { eventWeight } from "../../../shared/embeddings/event-weights";
import { decayAffinity } from "../../../shared/events/affinity-decay";
import { EVENT_ID_HORIZON_MS, type EventType, type InteractionEvent } from "../../../shared/events/event";
import { buildImpressionTable, EMPTY_IMPRESSIONS, type ImpressionTable, itemHash } from "../../../shared/ranking/impression-table";
import { EMPTY_PROFILE, type UserProfile } from "../../../shared/users/profile";
import { type RecentEvent } from "../../../shared/ranking/history";
import { type HistoryItem } from "../../../shared/users/history";
import { type ImpressionRecord } from "../redis/impressions";
import { redisFromEnv } from "../redis/redis-client";
import { drainOutbox, enqueue, forwardOutboxItems, type OutboxItem, outboxBackoffMs, outboxSize } from "./outbox";
import { MAX_IMPRESSION_ITEMS, MAX_SESSION_EVENTS, migrateSessionSchema } from "./schema";

/** What a recommendation request needs from the session. */
export interface SessionSnapshot {
  /** Bumped by every change that can change an answer; part of every cache key. */
  sessionVersion: number;
  /** Items the user has interacted with, most recent first: live events' items, then the seeded history's. */
  seenItemIds: string[];
  /** Distinct items of the most recent events, most recent first (at most 50). */
  recentItemIds: string[];
  /**
   * The most recent events (at most 50), newest first: what fold-in and
   * co-visitation read. Live events come first; the seeded history's items,
   * newest first, fill what is left.
   */
  recentEvents: RecentEvent[];
  /** How often each item was shown to the user (impression-table.ts). */
  impressions: ImpressionTable;
  /** Items last shown at or after the time the snapshot was asked for (a paging session's start); else empty. */
  shownSince: string[];
  /** Category -> decayed affinity (live events' and the seeded history's, added), strongest first. */
  affinities: { category: string; score: number }[];
  profile: UserProfile;
  /**
   * Lists of this user put in the Cache API, by cache key, with the session
   * version each was computed at: a request looks a list up only when one
   * was stored (a lookup known to miss is a round trip saved). Kept in the
   * object's memory only; after a restart it is empty, and lists are computed
   * again.
   */
  cachedLists: Record<string, number>;
}

/** What the funnel uses when the session cannot be read: a cold-start user. */
export const EMPTY_SESSION: SessionSnapshot = {
  sessionVersion: 0,
  seenItemIds: [],
  recentItemIds: [],
  recentEvents: [],
  impressions: EMPTY_IMPRESSIONS,
  shownSince: [],
  affinities: [],
  profile: EMPTY_PROFILE,
  cachedLists: {},
};

/** Where accepted events stand with Redis after the call. */
export type Delivery = "delivered" | "queued" | "disabled";

export interface IngestResult {
  accepted: string[];
  duplicates: string[];
  /**
   * Ids of events that happened before this user was erased, with the time
   * of the erasure: not stored (the erasure covers them, and the builder
   * drops them too), whoever replays them.
   */
  beforeErasure?: { eventIds: string[]; erasedAtMs: number };
  sessionVersion: number;
  redis: Delivery;
}

export interface IngestContext {
  /** Region the events came from (lower-case country or "global"). */
  region: string;
  /** Catalog categories of the events' items, for the affinities. */
  itemCategories: Record<string, string[]>;
  /**
   * The events come from another session (an anonymous one merged into
   * this one): stored here, never delivered under this user. What that
   * session still owed Redis comes as `handedOver`.
   */
  mergedFrom?: string;
  /**
   * The merged session's outbox, as it was (events under the anonymous id,
   * impressions), queued here to be delivered as they would have been.
   * Redis's once-only checks key on the anonymous id and the event id, so an
   * entry that reached Redis before (a write that timed out in the Worker
   * and still ran) is counted once.
   */
  handedOver?: OutboxItem[];
}

const RECENT_ITEMS = SESSION_RECENT_EVENTS;
/** Impression rows one INSERT writes (two bound parameters each, under SQLite's limit per statement). */
const IMPRESSION_ROWS_PER_STATEMENT = 40;
/** Impression rows allowed past MAX_IMPRESSION_ITEMS before the oldest are pruned. */
const IMPRESSION_PRUNE_SLACK = 500;
/** Cached lists remembered per user (surfaces x contexts x filters seen lately). */
const CACHED_LISTS_MAX = 64;
/** History rows one INSERT writes (four bound parameters each, under SQLite's limit per statement). */
const HISTORY_ROWS_PER_STATEMENT = 20;

/** Affinity rows (a category may have a live row and a history row) decayed to `nowMs` and added per category, strongest first. */
function decayedAffinities(rows: readonly { category: string; score: number; updated_ms: number }[], nowMs: number): { category: string; score: number }[] {
  const scores = new Map<string, number>();
  for (const r of rows) scores.set(r.category, (scores.get(r.category) ?? 0) + decayAffinity(r.score, r.updated_ms, nowMs));
  return [...scores].map(([category, score]) => ({ category, score })).sort((a, b) => b.score - a.score);
}

/**
 * One object per user (named by user id), with SQLite storage: recent events,
 * the seeded history, the seen set, impression counts, category affinities,
 * the declared profile, the session version and an outbox of events owed to
 * Redis. RPC methods.
 */
export class UserSession extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private draining: Promise<Delivery> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => migrateSessionSchema(this.sql));
  }

  /**
   * Appends a user's validated events in one transaction, with their outbox
   * entries, then tries to deliver the outbox. Idempotent on event id for
   * EVENT_ID_HORIZON_MS after an id's first receipt (`event_ids`, pruned
   * here); a resent id older than that is a new event.
   */
  async ingest(events: InteractionEvent[], context: IngestContext): Promise<IngestResult> {
    const nowMs = Date.now();
    const redisOn = redisFromEnv(this.env) !== null;
    const erasedAtMs = this.meta("erased_at_ms");
    const erased = events.filter((e) => e.timestampMs < erasedAtMs).map((e) => e.eventId);
    const { accepted, duplicates, sessionVersion } = this.ctx.storage.transactionSync(() => {
      this.sql.exec(`DELETE FROM event_ids WHERE received_ms <= ?`, nowMs - EVENT_ID_HORIZON_MS);
      const accepted: InteractionEvent[] = [];
      const duplicates: string[] = [];
      for (const e of events) {
        if (e.timestampMs < erasedAtMs) continue;
        if (this.insertEvent(e, nowMs)) {
          accepted.push(e);
          this.updateAffinities(e, context.itemCategories[e.itemId] ?? []);
        } else duplicates.push(e.eventId);
      }
      if (accepted.length > 0) {
        this.sql.exec(`DELETE FROM events WHERE seq <= (SELECT max(seq) FROM events) - ?`, MAX_SESSION_EVENTS);
        // Each event carries the session version it first counts in: an offline replay rebuilds the session a list saw from the log.
        const sessionVersion = this.sessionVersion() + 1;
        if (redisOn && context.mergedFrom === undefined)
          enqueue(
            this.sql,
            accepted.map((event) => ({ event, region: context.region, sessionVersion })),
            nowMs,
          );
        this.bumpVersion();
      }
      // A merge retried after a partial failure hands the same entries over again: delivery is idempotent.
      if (redisOn && context.handedOver && context.handedOver.length > 0) enqueue(this.sql, context.handedOver, nowMs);
      return { accepted: accepted.map((e) => e.eventId), duplicates, sessionVersion: this.sessionVersion() };
    });
    const redis = redisOn ? await this.deliverAfterIngest() : "disabled";
    return { accepted, duplicates, sessionVersion, redis, ...(erased.length > 0 ? { beforeErasure: { eventIds: erased, erasedAtMs } } : {}) };
  }

  /**
   * The snapshot's parts as last read from SQLite, kept in memory while
   * nothing changed them: this object is their only writer, so a repeat
   * request (a cache hit, the next page) costs no query. `state` is cleared
   * by every change of the session version; `shown` is kept up to date by
   * recordImpressions.
   */
  private state:
    | (Omit<SessionSnapshot, "impressions" | "shownSince" | "affinities" | "cachedLists"> & {
        affinityRows: { category: string; score: number; updated_ms: number }[];
      })
    | null = null;
  /** Shown items: count, last time shown, and itemHash (computed once). */
  private shown: Map<string, { count: number; lastMs: number; hash: number }> | null = null;
  /** `shown` as snapshots send it; rebuilt after impressions change it. */
  private impressionTable: ImpressionTable | null = null;
  /** See SessionSnapshot.cachedLists; the most recently stored last, at most CACHED_LISTS_MAX. */
  private cachedLists = new Map<string, number>();

  /** The session version alone: what a request holding a cached list needs to know it is current. */
  version(): number {
    return this.state?.sessionVersion ?? this.sessionVersion();
  }

  /** `shownSinceMs`: a paging session's start, to hear what it already showed. */
  snapshot(shownSinceMs?: number): SessionSnapshot {
    const nowMs = Date.now();
    const state = (this.state ??= this.readState());
    const shown = (this.shown ??= this.readShown());
    const { affinityRows, ...rest } = state;
    const shownSince: string[] = [];
    if (shownSinceMs !== undefined) for (const [itemId, s] of shown) if (s.lastMs >= shownSinceMs) shownSince.push(itemId);
    return {
      ...rest,
      impressions: (this.impressionTable ??= buildImpressionTable(shown.values(), shown.size)),
      shownSince,
      cachedLists: Object.fromEntries(this.cachedLists),
      affinities: decayedAffinities(affinityRows, nowMs),
    };
  }

  private readState(): NonNullable<UserSession["state"]> {
    const seen = this.sql.exec<{ item_id: string }>(`SELECT item_id FROM seen ORDER BY last_ms DESC, item_id`).toArray();
    const recent = this.sql.exec<{ item_id: string }>(`SELECT item_id FROM events GROUP BY item_id ORDER BY max(seq) DESC LIMIT ?`, RECENT_ITEMS).toArray();
    const events = this.sql
      .exec<{ item_id: string; type: EventType; value: number | null; seconds: number | null }>(
        `SELECT item_id, type, value, seconds FROM events ORDER BY seq DESC LIMIT ?`,
        RECENT_ITEMS,
      )
      .toArray();
    const recentEvents: RecentEvent[] = events.map((r) => ({
      itemId: r.item_id,
      type: r.type,
      ...(r.value === null ? {} : { value: r.value }),
      ...(r.seconds === null ? {} : { seconds: r.seconds }),
    }));
    const seenItemIds = seen.map((r) => r.item_id);
    const recentItemIds = recent.map((r) => r.item_id);
    // The seeded history is older than every live event: it comes after them, newest first.
    const history = this.sql.exec<{ item_id: string; weight: number }>(`SELECT item_id, weight FROM history ORDER BY pos DESC`).toArray();
    if (history.length > 0) {
      const seenSet = new Set(seenItemIds);
      const recentSet = new Set(recentItemIds);
      for (const h of history) {
        if (!seenSet.has(h.item_id)) seenItemIds.push(h.item_id);
        if (recentEvents.length < RECENT_ITEMS) recentEvents.push({ itemId: h.item_id, type: "history", weight: h.weight });
        if (recentItemIds.length < RECENT_ITEMS && !recentSet.has(h.item_id)) recentItemIds.push(h.item_id);
      }
    }
    return {
      sessionVersion: this.sessionVersion(),
      seenItemIds,
      recentItemIds,
      recentEvents,
      affinityRows: this.sql
        .exec<{ category: string; score: number; updated_ms: number }>(
          `SELECT category, score, updated_ms FROM affinities UNION ALL SELECT category, score, updated_ms FROM history_affinities`,
        )
        .toArray(),
      profile: this.profile(),
    };
  }

  /**
   * Replaces the user's seeded history (shared/users/history.ts) with
   * `items`, oldest first, and the category affinities it gives, in one
   * transaction; live events stay as they are. Nothing goes to the outbox:
   * the log the history came from is the training data already. `[]`
   * clears it. Undated items count as of now.
   */
  replaceHistory(items: HistoryItem[], itemCategories: Record<string, string[]>): { items: number; sessionVersion: number } {
    const nowMs = Date.now();
    const affinities = new Map<string, number>();
    // Every dated item decays to the newest one's time, where the affinities are then stored.
    const anchorMs = items.reduce((m, x) => Math.max(m, x.timestampMs ?? nowMs), 0);
    for (const x of items) {
      for (const category of itemCategories[x.itemId] ?? []) {
        affinities.set(category, (affinities.get(category) ?? 0) + decayAffinity(x.weight, x.timestampMs ?? nowMs, anchorMs));
      }
    }
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(`DELETE FROM history`);
      this.sql.exec(`DELETE FROM history_affinities`);
      for (let i = 0; i < items.length; i += HISTORY_ROWS_PER_STATEMENT) {
        const chunk = items.slice(i, i + HISTORY_ROWS_PER_STATEMENT);
        this.sql.exec(
          `INSERT INTO history (pos, item_id, weight, ts_ms) VALUES ${chunk.map(() => "(?, ?, ?, ?)").join(", ")}`,
          ...chunk.flatMap((x, k) => [i + k, x.itemId, x.weight, x.timestampMs ?? null]),
        );
      }
      for (const [category, score] of affinities) {
        this.sql.exec(`INSERT INTO history_affinities (category, score, updated_ms) VALUES (?, ?, ?)`, category, score, anchorMs);
      }
      this.setMeta("history_seeded_ms", items.length > 0 ? nowMs : 0);
      this.bumpVersion();
    });
    return { items: items.length, sessionVersion: this.sessionVersion() };
  }

  /** The seeded history, newest first, and when it was seeded (null: never, or cleared since). */
  history(): { items: HistoryItem[]; seededAtMs: number | null } {
    const rows = this.sql
      .exec<{ item_id: string; weight: number; ts_ms: number | null }>(`SELECT item_id, weight, ts_ms FROM history ORDER BY pos DESC`)
      .toArray();
    const seededAtMs = this.meta("history_seeded_ms");
    return {
      items: rows.map((r) => ({ itemId: r.item_id, weight: r.weight, ...(r.ts_ms === null ? {} : { timestampMs: r.ts_ms }) })),
      seededAtMs: seededAtMs === 0 ? null : seededAtMs,
    };
  }

  private readShown(): NonNullable<UserSession["shown"]> {
    this.impressionTable = null;
    const shown: NonNullable<UserSession["shown"]> = new Map();
    for (const r of this.sql.exec<{ item_id: string; shown: number; last_ms: number }>(`SELECT item_id, shown, last_ms FROM impressions`)) {
      shown.set(r.item_id, { count: r.shown, lastMs: r.last_ms, hash: itemHash(r.item_id) });
    }
    return shown;
  }

  /** Every shown item's count, exactly (for audits and tests; snapshots carry the compact table). */
  impressionCounts(): Record<string, number> {
    const shown = (this.shown ??= this.readShown());
    return Object.fromEntries([...shown].map(([itemId, s]) => [itemId, s.count]));
  }

  /**
   * Counts items as shown once more (one statement per batch of rows).
   * Does not change the session version. The least recently shown are
   * dropped past MAX_IMPRESSION_ITEMS, checked in batches of
   * IMPRESSION_PRUNE_SLACK so the pruning sort is rare. `storedList` names
   * a list the caller put in the Cache API (see SessionSnapshot.cachedLists).
   */
  recordImpressions(itemIds: string[], storedList?: { key: string; sessionVersion: number }, frequencyCap = 0): void {
    if (storedList) {
      this.cachedLists.delete(storedList.key);
      this.cachedLists.set(storedList.key, storedList.sessionVersion);
      if (this.cachedLists.size > CACHED_LISTS_MAX) this.cachedLists.delete(this.cachedLists.keys().next().value!);
    }
    if (itemIds.length === 0) return;
    const nowMs = Date.now();
    const unique = [...new Set(itemIds)];
    const shown = (this.shown ??= this.readShown());
    const prune = shown.size + unique.length > MAX_IMPRESSION_ITEMS + IMPRESSION_PRUNE_SLACK;
    // An item shown as often as the cap now leaves the user's lists: the version moves, so a list
    // cached with it (served from the isolate or the Cache API, impressions never moved it) is made again.
    const capped = frequencyCap > 0 && unique.some((id) => (shown.get(id)?.count ?? 0) + 1 === frequencyCap);
    this.impressionTable = null;
    this.ctx.storage.transactionSync(() => {
      if (capped) this.bumpVersion();
      for (let i = 0; i < unique.length; i += IMPRESSION_ROWS_PER_STATEMENT) {
        const chunk = unique.slice(i, i + IMPRESSION_ROWS_PER_STATEMENT);
        this.sql.exec(
          `INSERT INTO impressions (item_id, shown, last_ms) VALUES ${chunk.map(() => "(?, 1, ?)").join(", ")}
           ON CONFLICT(item_id) DO UPDATE SET shown = shown + 1, last_ms = excluded.last_ms`,
          ...chunk.flatMap((itemId) => [itemId, nowMs]),
        );
      }
      if (prune) {
        this.sql.exec(
          `DELETE FROM impressions WHERE item_id IN (SELECT item_id FROM impressions ORDER BY last_ms DESC LIMIT -1 OFFSET ?)`,
          MAX_IMPRESSION_ITEMS,
        );
      }
    });
    if (prune) {
      this.shown = null;
      return;
    }
    for (const itemId of unique) {
      const s = shown.get(itemId);
      if (s) {
        s.count++;
        s.lastMs = nowMs;
      } else shown.set(itemId, { count: 1, lastMs: nowMs, hash: itemHash(itemId) });
    }
  }

  /**
   * The user's region at first exposure for each of `experimentIds`: the
   * stored one, or `region` stored now for those met for the first time. A
   * traveller keeps the allocation of where they entered an experiment.
   */
  experimentRegions(experimentIds: string[], region: string): { experimentId: string; region: string }[] {
    // As pairs: an experiment stored before such ids were refused may be named `__proto__`, which a plain
    // object cannot hold as a key, and an object without a prototype cannot cross RPC.
    const out = new Map<string, string>();
    const missing: string[] = [];
    for (const id of experimentIds) {
      const known = (this.regions ??= this.readRegions()).get(id);
      if (known) out.set(id, known);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const nowMs = Date.now();
      this.ctx.storage.transactionSync(() => {
        for (const id of missing) {
          this.sql.exec(
            `INSERT INTO experiment_regions (experiment_id, region, first_ms) VALUES (?, ?, ?) ON CONFLICT(experiment_id) DO NOTHING`,
            id,
            region,
            nowMs,
          );
          this.regions!.set(id, region);
          out.set(id, region);
        }
      });
    }
    return [...out].map(([experimentId, first]) => ({ experimentId, region: first }));
  }

  /** Experiment id -> region at first exposure, as stored; read once per object life. */
  private regions: Map<string, string> | null = null;

  private readRegions(): Map<string, string> {
    const rows = this.sql.exec<{ experiment_id: string; region: string }>(`SELECT experiment_id, region FROM experiment_regions`).toArray();
    return new Map(rows.map((r) => [r.experiment_id, r.region]));
  }

  /** Replaces the declared profile; a new profile can change answers, so the version moves. */
  setProfile(profile: UserProfile): { profile: UserProfile; sessionVersion: number } {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO profile (id, language, region, categories, updated_ms) VALUES (1, NULL, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET language = NULL, region = excluded.region,
           categories = excluded.categories, updated_ms = excluded.updated_ms`,
        profile.region,
        JSON.stringify(profile.categories),
        Date.now(),
      );
      this.bumpVersion();
    });
    return { profile: this.profile(), sessionVersion: this.sessionVersion() };
  }

  profile(): UserProfile {
    const row = this.sql.exec<{ region: string | null; categories: string }>(`SELECT region, categories FROM profile`).toArray()[0];
    return row ? { region: row.region, categories: JSON.parse(row.categories) as string[] } : EMPTY_PROFILE;
  }

  /**
   * Privacy deletion: every row of this user, the pending outbox and any
   * alarm. A delivery under way finishes first, so nothing of this user
   * reaches Redis after the erasure that follows. Answers the rows removed
   * per table (meta, the object's own bookkeeping, and the platform's own
   * tables aside: SQLite's, Cloudflare's `_cf_*`, and `__*` such as local
   * workerd's `__miniflare_do_name`), for the receipt. The session version
   * alone outlives it, one step on: lists cached for the erased session are
   * keyed by its versions, and a returning user's must never meet them.
   */
  async erase(): Promise<Record<string, number>> {
    while (this.draining) await this.draining.catch(() => undefined);
    const version = this.sessionVersion();
    const removed: Record<string, number> = {};
    const tables = this.sql
      .exec<{ name: string }>(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE '\\_\\_%' ESCAPE '\\' AND name <> 'meta'`,
      )
      .toArray();
    for (const { name } of tables) removed[name] = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM "${name}"`).one().n;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    // After the deletion: a snapshot taken while it ran may have filled these.
    this.state = null;
    this.shown = null;
    this.impressionTable = null;
    this.cachedLists.clear();
    this.regions = null;
    migrateSessionSchema(this.sql);
    this.setMeta("session_version", version + 1);
    // Events that happened before now are the erased user's, whoever sends them later (an app's offline queue).
    this.setMeta("erased_at_ms", Date.now());
    return removed;
  }

  /**
   * What an anonymous session hands the user it is merged into: its events,
   * oldest first, its declared profile (null when none was declared), and
   * its outbox as it stands (what it still owes Redis, in order).
   */
  mergeSource(): { events: Omit<InteractionEvent, "userId">[]; profile: UserProfile | null; outbox: OutboxItem[] } {
    const rows = this.sql
      .exec<{
        event_id: string;
        item_id: string;
        type: EventType;
        ts_ms: number;
        value: number | null;
        seconds: number | null;
        surface: string | null;
        impression_id: string | null;
        context: string | null;
      }>(`SELECT event_id, item_id, type, ts_ms, value, seconds, surface, impression_id, context FROM events ORDER BY seq`)
      .toArray();
    const declared = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM profile`).one().n > 0;
    return {
      events: rows.map((r) => ({
        eventId: r.event_id,
        itemId: r.item_id,
        type: r.type,
        timestampMs: r.ts_ms,
        ...(r.value === null ? {} : { value: r.value }),
        ...(r.seconds === null ? {} : { seconds: r.seconds }),
        ...(r.surface === null ? {} : { surface: r.surface }),
        ...(r.impression_id === null ? {} : { impressionId: r.impression_id }),
        ...(r.context === null ? {} : { context: JSON.parse(r.context) as Record<string, string> }),
      })),
      profile: declared ? this.profile() : null,
      outbox: this.sql
        .exec<{ payload: string }>(`SELECT payload FROM outbox ORDER BY seq`)
        .toArray()
        .map((r) => JSON.parse(r.payload) as OutboxItem),
    };
  }

  /** Stored event ids, oldest first (for audits and the events benchmark). */
  eventIds(): string[] {
    return this.sql
      .exec<{ event_id: string }>(`SELECT event_id FROM events ORDER BY seq`)
      .toArray()
      .map((r) => r.event_id);
  }

  eventCount(): number {
    return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM events`).one().n;
  }

  pendingOutbox(): number {
    return outboxSize(this.sql);
  }

  /** Impressions waiting in the outbox for Redis. */
  pendingImpressions(): number {
    return outboxSize(this.sql, "impression");
  }

  /**
   * Takes impressions whose write to Redis failed, to deliver them like
   * events: in the outbox, in order, retried by the alarm. Redis has just
   * failed, so the first attempt waits for the alarm's backoff.
   */
  async queueImpressions(records: ImpressionRecord[]): Promise<void> {
    if (records.length === 0 || !redisFromEnv(this.env)) return;
    this.ctx.storage.transactionSync(() =>
      enqueue(
        this.sql,
        records.map((impression) => ({ impression })),
        Date.now(),
      ),
    );
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + outboxBackoffMs(this.meta("outbox_failures") + 1));
  }

  /** Retries delivery of the outbox; re-arms itself until it is empty. */
  override async alarm(): Promise<void> {
    await this.deliver();
  }

  /**
   * Delivery right after an ingest committed, which the caller waits for.
   * While Redis is failing (a drain failed and its alarm is set) the events
   * stay queued for the alarm: each caller trying for itself would wait out
   * the Redis timeout in turn, one after another (eight posts of one user
   * answered after 2, 4, … 16 s while Redis stalled). A caller arriving
   * mid-drain waits for that drain, which takes what was queued meanwhile.
   */
  private async deliverAfterIngest(): Promise<Delivery> {
    if (this.meta("outbox_failures") > 0) {
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + outboxBackoffMs(this.meta("outbox_failures")));
      return outboxSize(this.sql, "event") + outboxSize(this.sql, "impression") > 0 ? "queued" : "delivered";
    }
    while (this.draining) if ((await this.draining) === "queued") return "queued";
    return this.deliver();
  }

  private async deliver(): Promise<Delivery> {
    // One drain at a time; a caller arriving mid-drain waits, then drains what is left.
    while (this.draining) await this.draining;
    this.draining = this.drainOnce().finally(() => (this.draining = null));
    return this.draining;
  }

  private async drainOnce(): Promise<Delivery> {
    const redis = redisFromEnv(this.env);
    if (!redis) return "disabled";
    try {
      await drainOutbox(this.sql, (items) => forwardOutboxItems(redis, items));
      this.setMeta("outbox_failures", 0);
      return "delivered";
    } catch (err) {
      const failures = this.meta("outbox_failures") + 1;
      this.setMeta("outbox_failures", failures);
      await this.ctx.storage.setAlarm(Date.now() + outboxBackoffMs(failures));
      console.warn(JSON.stringify({ level: "warn", message: "outbox delivery failed; alarm set", failures, error: String(err) }));
      return "queued";
    }
  }

  private insertEvent(e: InteractionEvent, receivedMs: number): boolean {
    // RETURNING yields a row only when the insert happened, i.e. the id is new within the horizon.
    const fresh = this.sql.exec(
      `INSERT INTO event_ids (event_id, received_ms) VALUES (?, ?) ON CONFLICT(event_id) DO NOTHING RETURNING 1`,
      e.eventId,
      receivedMs,
    );
    if (fresh.toArray().length === 0) return false;
    // An id past the horizon may still name a stored event: the new one replaces it.
    this.sql.exec(`DELETE FROM events WHERE event_id = ?`, e.eventId);
    this.sql.exec(
      `INSERT INTO events (event_id, item_id, type, ts_ms, value, seconds, surface, impression_id, context, received_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      e.eventId,
      e.itemId,
      e.type,
      e.timestampMs,
      e.value ?? null,
      e.seconds ?? null,
      e.surface ?? null,
      e.impressionId ?? null,
      e.context ? JSON.stringify(e.context) : null,
      receivedMs,
    );
    this.sql.exec(
      `INSERT INTO seen (item_id, first_ms, last_ms, interactions) VALUES (?, ?, ?, 1)
       ON CONFLICT(item_id) DO UPDATE SET last_ms = max(last_ms, excluded.last_ms), interactions = interactions + 1`,
      e.itemId,
      e.timestampMs,
      e.timestampMs,
    );
    return true;
  }

  private updateAffinities(e: InteractionEvent, categories: string[]): void {
    // The same signed weight implicit ALS trains with: one notion of "how much this event says".
    const weight = eventWeight(e.type, e);
    if (weight === 0) return;
    for (const category of categories) {
      const row = this.sql.exec<{ score: number; updated_ms: number }>(`SELECT score, updated_ms FROM affinities WHERE category = ?`, category).toArray()[0];
      const at = Math.max(e.timestampMs, row?.updated_ms ?? 0);
      const score = (row ? decayAffinity(row.score, row.updated_ms, at) : 0) + decayAffinity(weight, e.timestampMs, at);
      this.sql.exec(
        `INSERT INTO affinities (category, score, updated_ms) VALUES (?, ?, ?)
         ON CONFLICT(category) DO UPDATE SET score = excluded.score, updated_ms = excluded.updated_ms`,
        category,
        score,
        at,
      );
    }
  }

  private bumpVersion(): void {
    this.setMeta("session_version", this.sessionVersion() + 1);
    this.state = null;
  }

  private sessionVersion(): number {
    return this.meta("session_version");
  }

  private meta(key: string): number {
    return this.sql.exec<{ value: number }>(`SELECT value FROM meta WHERE key = ?`, key).toArray()[0]?.value ?? 0;
  }

  private setMeta(key: string, value: number): void {
    this.sql.exec(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value);
  }
}
