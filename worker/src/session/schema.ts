/**
 * The user session object's SQLite schema, as ordered migrations. The applied
 * count is kept in `meta.schema_version` (the one table every version has);
 * each migration runs once, inside the object's constructor, before any
 * request is served.
 */
export const SESSION_MIGRATIONS: readonly string[][] = [
  [
    `CREATE TABLE events (
       seq INTEGER PRIMARY KEY AUTOINCREMENT,
       event_id TEXT NOT NULL UNIQUE,
       item_id TEXT NOT NULL,
       type TEXT NOT NULL,
       ts_ms INTEGER NOT NULL,
       value REAL,
       seconds REAL,
       surface TEXT,
       impression_id TEXT,
       context TEXT,
       received_ms INTEGER NOT NULL
     )`,
    `CREATE TABLE seen (
       item_id TEXT PRIMARY KEY,
       first_ms INTEGER NOT NULL,
       last_ms INTEGER NOT NULL,
       interactions INTEGER NOT NULL
     )`,
  ],
  [
    // Accepted events not yet delivered to Redis, in acceptance order.
    `CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL, accepted_ms INTEGER NOT NULL)`,
    `CREATE TABLE impressions (item_id TEXT PRIMARY KEY, shown INTEGER NOT NULL, last_ms INTEGER NOT NULL)`,
    `CREATE TABLE affinities (category TEXT PRIMARY KEY, score REAL NOT NULL, updated_ms INTEGER NOT NULL)`,
    `CREATE TABLE profile (
       id INTEGER PRIMARY KEY CHECK (id = 1),
       language TEXT,
       region TEXT,
       categories TEXT NOT NULL,
       updated_ms INTEGER NOT NULL
     )`,
  ],
  [
    // Per experiment, the user's region at first exposure: it decides their allocation from then on.
    `CREATE TABLE experiment_regions (experiment_id TEXT PRIMARY KEY, region TEXT NOT NULL, first_ms INTEGER NOT NULL)`,
  ],
  [
    // Every event id received within the idempotency horizon (EVENT_ID_HORIZON_MS), however many
    // events the session keeps: what decides that a resent id is a duplicate.
    `CREATE TABLE event_ids (event_id TEXT PRIMARY KEY, received_ms INTEGER NOT NULL)`,
    `CREATE INDEX event_ids_by_time ON event_ids (received_ms)`,
    `INSERT INTO event_ids (event_id, received_ms) SELECT event_id, received_ms FROM events`,
  ],
  [
    // The outbox also carries impressions whose direct write to Redis failed.
    `ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'event'`,
  ],
  [
    // The seeded history (shared/users/history.ts), oldest first by pos, replaced whole by each seeding;
    // ts_ms NULL for a log without times. Its category affinities are kept apart from the live events' so
    // that a new seeding replaces its own without touching theirs; a snapshot adds the two.
    `CREATE TABLE history (pos INTEGER PRIMARY KEY, item_id TEXT NOT NULL UNIQUE, weight REAL NOT NULL, ts_ms INTEGER)`,
    `CREATE TABLE history_affinities (category TEXT PRIMARY KEY, score REAL NOT NULL, updated_ms INTEGER NOT NULL)`,
  ],
];

/**
 * Most events one session keeps (what features read); the oldest received
 * are evicted first. Idempotency does not depend on it: see `event_ids`.
 */
export const MAX_SESSION_EVENTS = 2000;

/** Most impression counters one session keeps; the least recently shown go first. */
export const MAX_IMPRESSION_ITEMS = 5000;

export function migrateSessionSchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`);
  const row = sql.exec<{ value: number }>(`SELECT value FROM meta WHERE key = 'schema_version'`).toArray()[0];
  const applied = row?.value ?? 0;
  for (let i = applied; i < SESSION_MIGRATIONS.length; i++) {
    for (const statement of SESSION_MIGRATIONS[i] ?? []) sql.exec(statement);
    sql.exec(`INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, i + 1);
  }
}
