import { type EventType } from "../../../shared/events/event";
import { ID_RULE } from "../../../shared/ids";
import { type Interaction } from "../data/movielens";
import { quantile, type WeightKind } from "../data/weights";

/** What an import read: printed by the CLI and kept in the build report. */
export interface ImportSummary {
  file: string;
  kind: WeightKind;
  /** Column of each role that was found (undefined when the file has none). */
  columns: Record<string, string | undefined>;
  rows: number;
  users: number;
  /** Items with at least one interaction. */
  items: number;
  catalogItems: number;
  /** Distinct (user, item) pairs. */
  pairs: number;
  /** pairs / (users · items). */
  density: number;
  /** ISO-8601 of the oldest and newest row, or null without a timestamp column. */
  timeRange: { from: string; to: string; distinctTimestamps: number } | null;
  /** Quantiles of the weight column (null when there is none). */
  weights: { min: number; p25: number; median: number; p90: number; p99: number; max: number } | null;
  /** Rows whose count was 0: no interaction, skipped. */
  zeroRows: number;
  /** Ids that were not valid Worker ids and were rewritten (field-values.ts parseId). */
  rewrittenIds: number;
  eventTypes: Partial<Record<EventType, number>>;
}

/** Counts an import's rows as they stream by; memory is the distinct ids and pairs, and one number a weighted row. */
export class SummaryCounter {
  columns: Record<string, string | undefined> = {};
  zeroRows = 0;
  /** Distinct ids that were rewritten. */
  readonly rewritten = new Set<string>();
  private rows = 0;
  private readonly users = new Set<string>();
  private readonly items = new Set<string>();
  private readonly pairs = new Set<string>();
  private readonly timestamps = new Set<number>();
  private minMs = Infinity;
  private maxMs = -Infinity;
  private weights: number[] = [];
  private readonly eventTypes: Partial<Record<EventType, number>> = {};

  constructor(private readonly kind: WeightKind) {}

  add(x: Interaction, weight: number | null, type: EventType | undefined): void {
    this.rows++;
    this.users.add(x.userId);
    this.items.add(x.itemId);
    this.pairs.add(`${x.userId}\u0000${x.itemId}`);
    if (this.columns.timestamp) {
      this.minMs = Math.min(this.minMs, x.timestampMs);
      this.maxMs = Math.max(this.maxMs, x.timestampMs);
      if (this.timestamps.size <= 1) this.timestamps.add(x.timestampMs);
    }
    if (weight !== null) this.weights.push(weight);
    if (type) this.eventTypes[type] = (this.eventTypes[type] ?? 0) + 1;
  }

  itemIds(): Iterable<string> {
    return this.items;
  }

  summary(file: string, catalogItems: number): ImportSummary {
    const q = (p: number) => quantile(this.weights, p);
    return {
      file,
      kind: this.kind,
      columns: this.columns,
      rows: this.rows,
      users: this.users.size,
      items: this.items.size,
      catalogItems,
      pairs: this.pairs.size,
      density: this.pairs.size / Math.max(1, this.users.size * this.items.size),
      timeRange: this.columns.timestamp
        ? { from: new Date(this.minMs).toISOString(), to: new Date(this.maxMs).toISOString(), distinctTimestamps: this.timestamps.size }
        : null,
      weights: this.weights.length ? { min: q(0), p25: q(0.25), median: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1) } : null,
      zeroRows: this.zeroRows,
      rewrittenIds: this.rewritten.size,
      eventTypes: this.eventTypes,
    };
  }
}

/** The summary as a few lines for a terminal. */
export function formatSummary(s: ImportSummary): string[] {
  const cols = Object.entries(s.columns)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  const lines = [
    `${s.file}: ${s.rows} rows (${s.kind}), ${s.users} users, ${s.items} items with interactions (${s.catalogItems} in the catalog), ${s.pairs} user-item pairs, density ${s.density.toExponential(2)}`,
    `columns: ${cols}`,
    s.timeRange
      ? `time range: ${s.timeRange.from} .. ${s.timeRange.to}${s.timeRange.distinctTimestamps < 2 ? " (ONE timestamp for every row: treated as none)" : ""}`
      : "time range: none (no timestamp column): validation will carve each user's rows at random",
    s.weights
      ? `weights: min ${s.weights.min}, p25 ${s.weights.p25}, median ${s.weights.median}, p90 ${s.weights.p90}, p99 ${s.weights.p99}, max ${s.weights.max}`
      : "weights: none (every row counts 1)",
  ];
  if (s.zeroRows) lines.push(`skipped ${s.zeroRows} rows with a count of 0`);
  if (s.rewrittenIds) lines.push(`${s.rewrittenIds} ids were not valid Worker ids (${ID_RULE}) and were rewritten as b64.<base64url> or h.<sha256>`);
  if (Object.keys(s.eventTypes).length) lines.push(`event types: ${JSON.stringify(s.eventTypes)}`);
  return lines;
}
