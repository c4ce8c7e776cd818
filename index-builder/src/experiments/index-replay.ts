import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { eventWeight } from "../../../shared/embeddings/event-weights";
import { type DecisionSnapshot, type TrendingSnapshot } from "../../../shared/experiments/decision-snapshots";
import { type ImpressionRecord } from "../../../shared/experiments/exposure";
import { type FunnelKnobs } from "../../../shared/funnel/knobs";
import { type CatalogView, type FunnelPorts, type TrendingPort } from "../../../shared/funnel/ports";
import { runFunnel, type Surface } from "../../../shared/funnel/run-funnel";
import { type FunnelSession, SESSION_RECENT_EVENTS } from "../../../shared/funnel/session";
import { type IndexManifest, parseManifest } from "../../../shared/index-format/manifest";
import { decodePopularBlob } from "../../../shared/index-format/popular";
import { hourBucket, TRENDING_ONCE_TTL_S } from "../../../shared/online/redis-keys";
import { DEFAULT_TRENDING, mergeTrendingBuckets } from "../../../shared/online/trending-merge";
import { buildImpressionTable, itemHash } from "../../../shared/ranking/impression-table";
import { RANKER_BLOBS } from "../../../shared/ranking/onnx-ranker";
import { explorationRandom, NO_EXPLORATION } from "../../../shared/ranking/policy/exploration";
import { loadNodeKernel } from "../ann/node-kernel";
import { nodeOrtRanker } from "../ranker/node-ort-ranker";
import { FALLBACK_SIZE, type MemoryIndex } from "../funnel/memory-index";
import { memoryFunnelPorts } from "../funnel/memory-ports";
import { offlineSession, type PastEvent } from "../funnel/offline-session";
import { type LoggedEvent } from "./redis-logs";

/** A built version directory (`.index/<version>`) read back into memory: the blobs it would publish. */
export async function readBuiltIndex(dir: string): Promise<{ index: MemoryIndex; catalog: CatalogItem[] }> {
  const manifest: IndexManifest = parseManifest(JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")));
  if (!manifest.funnel) throw new Error(`${dir}: the version has no funnel section; replay needs the serving funnel's blobs`);
  const blobs = new Map<string, { bytes: Uint8Array; contentType: string }>();
  for (const [name, ref] of Object.entries(manifest.blobs))
    blobs.set(name, { bytes: new Uint8Array(await readFile(join(dir, "blobs", name))), contentType: ref.contentType });
  const popularBytes = blobs.get("popular")?.bytes;
  if (!popularBytes) throw new Error(`${dir}: no popular blob`);
  const catalog = JSON.parse(await readFile(join(dir, "catalog.json"), "utf8")) as CatalogItem[];
  return {
    index: {
      version: manifest.version,
      blobs,
      funnel: manifest.funnel,
      ann: manifest.ann ?? null,
      popular: decodePopularBlob(popularBytes),
      fallbackItemIds: manifest.fallbackItemIds.slice(0, FALLBACK_SIZE),
      lightWeights: manifest.ranking?.light ?? null,
      order: manifest.ranking?.order ?? null,
    },
    catalog,
  };
}

/** A logged showing with the time Redis received it. */
export type LoggedImpression = ImpressionRecord & { streamMs: number };

/** How faithfully the replay decides the logged lists again. */
export interface Reproduction {
  /** Logged lists of a version that was replayed, with the logged exploration draws. */
  impressions: number;
  positions: number;
  /** Positions where the replay shows the logged item. */
  reproduced: number;
  /** reproduced / positions (0 when none were replayed). */
  share: number;
  /** Logged lists not replayed, by why (each reason names an input the log lacks). */
  unreplayable: Record<string, number>;
  /** Logged versions without a built directory to replay them in. */
  versionsMissing: string[];
  /** Replayed lists whose trending list was recounted from the event log (no stored snapshot): approximate when users were erased or the stream trimmed. */
  trendingRecounted: number;
  /** A few positions the replay got wrong: where to look when the share falls. */
  mismatches: {
    impressionId: string;
    position: number;
    logged: string;
    replayed: string | null;
    loggedScore: number;
    replayedScore: number | null;
    loggedAt: number;
  }[];
}

/** The decision context of a logged showing, rebuilt from the logs, or why it cannot be. */
type Context =
  | {
      ok: true;
      session: FunnelSession;
      knobs: FunnelKnobs;
      imp: LoggedImpression;
      /** The trending list the Worker read, when its snapshot was stored; null: recount from the event log. */
      trending: TrendingSnapshot["items"] | null;
      overlay: CatalogView;
    }
  | { ok: false; reason: string };

/**
 * Replays logged showings offline through the built versions of `dirs`
 * (`candidate`: the version to estimate; `logged`: the versions that served,
 * to check the replay against). Each logged list is decided again from what
 * its decision record holds (ListDecision in shared/experiments/exposure.ts):
 * - the session: the user's logged events up to the session version the
 *   list was computed at (each event carries the version it first counted
 *   in), the recent window and affinities as the Durable Object keeps them
 *   (offline-session.ts), the profile's categories as logged, and the
 *   impressions of the user's earliest logged showings whose counts add up
 *   to the total the session held;
 * - the funnel's clock, the knobs (the variant's, the policy as resolved
 *   over the surface's configuration), the editorial list, the exclusions;
 * - the trending list the Worker read and the catalogue overlay it used,
 *   from the snapshots the record names (shared/experiments/decision-snapshots.ts,
 *   read from Redis into `snapshots`); without a stored trending snapshot,
 *   trending as Redis held it when the Worker read it, recounted from the
 *   event log (see ReplayedTrending; counted in `trendingRecounted`);
 * - the exploration draws: the same seed (user, surface, version, session version).
 * Not replayable: a list whose catalogue overlay held rows but whose
 * overlay snapshot is missing (an incomplete overlay, expired, or never
 * stored), and lists logged before decision records were written.
 *
 * `reproduction` replays each list in the version that served it, with its
 * exploration: the share of logged positions it reproduces says whether the
 * contexts are right. `lists` are the candidate's greedy lists (no
 * exploration) on the same contexts, by impression id.
 */
export async function replayThroughIndex(
  dirs: { candidate: string; logged: ReadonlyMap<string, string> },
  impressions: readonly LoggedImpression[],
  allShowings: readonly LoggedImpression[],
  events: readonly LoggedEvent[],
  snapshots: ReadonlyMap<string, DecisionSnapshot> = new Map(),
): Promise<{ version: string; lists: Map<string, string[]>; reproduction: Reproduction }> {
  const trending = new ReplayedTrending(events);
  const loaded = new Map<string, ReturnType<typeof replayPorts>>();
  const portsOf = (dir: string) => {
    let p = loaded.get(dir);
    if (!p) loaded.set(dir, (p = replayPorts(dir, trending)));
    return p;
  };
  const candidate = await portsOf(dirs.candidate);
  const byUser = userEvents(events);
  const showings = userShowings(allShowings);

  const lists = new Map<string, string[]>();
  const reproduction: Reproduction = {
    impressions: 0,
    positions: 0,
    reproduced: 0,
    share: 0,
    unreplayable: {},
    versionsMissing: [],
    trendingRecounted: 0,
    mismatches: [],
  };
  const missing = new Set<string>();
  for (const imp of impressions) {
    const context = replayContext(imp, byUser.get(imp.userId) ?? [], showings.get(imp.userId) ?? [], candidate.categories, snapshots);
    if (!context.ok) {
      reproduction.unreplayable[context.reason] = (reproduction.unreplayable[context.reason] ?? 0) + 1;
      continue;
    }
    const greedy = await decide(candidate, context, { ...context.knobs, exploration: NO_EXPLORATION }, () => 1);
    lists.set(
      imp.impressionId,
      greedy.map((e) => e.itemId),
    );

    const servedDir = dirs.logged.get(imp.indexVersion);
    if (!servedDir) {
      missing.add(imp.indexVersion);
      continue;
    }
    const served = await portsOf(servedDir);
    const random = explorationRandom(imp.userId, imp.surface, imp.indexVersion, imp.decision!.sessionVersion);
    const again = await decide(served, context, context.knobs, random);
    reproduction.impressions++;
    if (context.trending === null && imp.decision!.trendingAsOfMs !== null) reproduction.trendingRecounted++;
    imp.itemIds.forEach((itemId, k) => {
      const position = imp.decision!.positions[k]!;
      reproduction.positions++;
      if (again[position]?.itemId === itemId) reproduction.reproduced++;
      else if (reproduction.mismatches.length < 20)
        reproduction.mismatches.push({
          impressionId: imp.impressionId,
          position,
          logged: itemId,
          replayed: again[position]?.itemId ?? null,
          loggedScore: imp.scores[k] ?? NaN,
          replayedScore: again[position]?.score ?? null,
          // Where the replay put the logged item (-1: not in its list).
          loggedAt: again.findIndex((e) => e.itemId === itemId),
        });
    });
  }
  reproduction.share = reproduction.positions > 0 ? reproduction.reproduced / reproduction.positions : 0;
  reproduction.versionsMissing = [...missing].sort();
  const version = JSON.parse(await readFile(join(dirs.candidate, "manifest.json"), "utf8")) as { version: string };
  return { version: version.version, lists, reproduction };
}

async function replayPorts(dir: string, trending: TrendingPort) {
  const { index, catalog } = await readBuiltIndex(dir);
  // The heavy ranker the version ships, scored by the Worker's own runtime: the same float32 scores.
  const model = index.blobs.get(RANKER_BLOBS.model);
  const heavy = model ? await nodeOrtRanker(model.bytes) : null;
  let editorial: string[] = [];
  let overlay: CatalogView = EMPTY_CATALOG_VIEW;
  const base = memoryFunnelPorts(index, { kernel: loadNodeKernel(), trending });
  const ports: FunnelPorts = {
    ...base,
    ranker: heavy ? { load: async () => heavy } : null,
    config: { ...base.config, editorial: async () => editorial },
    // The overlay the decision used (complete: the funnel asks rowsOf only for ids it names).
    catalog: {
      overlay: async () => overlay,
      rowsOf: async (itemIds) => new Map(itemIds.flatMap((id) => (overlay.rows.has(id) ? [[id, overlay.rows.get(id)!] as const] : []))),
    },
  };
  return {
    ports,
    setDecision: (d: { editorial: string[]; overlay: CatalogView }) => {
      editorial = d.editorial;
      overlay = d.overlay;
    },
    categories: new Map(catalog.map((c) => [c.itemId, c.categories])),
  };
}

async function decide(
  replay: { ports: FunnelPorts; setDecision: (d: { editorial: string[]; overlay: CatalogView }) => void },
  context: Extract<Context, { ok: true }>,
  knobs: FunnelKnobs,
  random: () => number,
): Promise<{ itemId: string; score: number }[]> {
  const { imp } = context;
  const d = imp.decision!;
  replay.setDecision({ editorial: d.editorial, overlay: context.overlay });
  const trending = replay.ports.trending as ReplayedTrending;
  trending.atMs = d.trendingAsOfMs ?? d.atMs;
  trending.stored = context.trending;
  const result = await runFunnel(
    replay.ports,
    {
      surface: imp.surface as Surface,
      contextItemId: imp.contextItemId ?? null,
      category: d.category,
      excludeIds: d.excludeIds,
      region: imp.region,
      listSize: d.listSize,
      nowMs: d.atMs,
    },
    context.session,
    knobs,
    random,
  );
  return result.entries;
}

const EMPTY_CATALOG_VIEW: CatalogView = { fresh: [], rows: new Map(), complete: true };

/** Each user's logged events in the order Redis received them (the order their session took them in). */
function userEvents(events: readonly LoggedEvent[]): Map<string, LoggedEvent[]> {
  const byUser = new Map<string, LoggedEvent[]>();
  for (const e of [...events].sort((a, b) => a.streamMs - b.streamMs)) {
    const list = byUser.get(e.userId) ?? [];
    list.push(e);
    byUser.set(e.userId, list);
  }
  return byUser;
}

/** Each user's logged showings, oldest first. */
function userShowings(showings: readonly LoggedImpression[]): Map<string, LoggedImpression[]> {
  const byUser = new Map<string, LoggedImpression[]>();
  for (const s of [...showings].sort((a, b) => (a.timestampMs ?? a.streamMs) - (b.timestampMs ?? b.streamMs) || a.streamMs - b.streamMs)) {
    const list = byUser.get(s.userId) ?? [];
    list.push(s);
    byUser.set(s.userId, list);
  }
  return byUser;
}

function replayContext(
  imp: LoggedImpression,
  events: readonly LoggedEvent[],
  showings: readonly LoggedImpression[],
  categories: Map<string, string[]>,
  snapshots: ReadonlyMap<string, DecisionSnapshot>,
): Context {
  const d = imp.decision;
  if (!d || !d.knobs) return { ok: false, reason: "no decision record (logged before decisions were recorded)" };
  let overlay: CatalogView = EMPTY_CATALOG_VIEW;
  if (d.overlayRows > 0) {
    const stored = d.overlaySnapshot ? snapshots.get(d.overlaySnapshot) : undefined;
    if (stored?.kind !== "overlay")
      return {
        ok: false,
        reason: d.overlaySnapshot
          ? "the catalogue overlay's snapshot is not in Redis (expired, or Redis was down when it was first used)"
          : "the catalogue overlay held rows and no snapshot of it was recorded (incomplete overlay, or logged before snapshots)",
      };
    overlay = { fresh: stored.fresh, rows: new Map(stored.rows.map((r) => [r.itemId, r])), complete: true };
  }
  const trendingStored = d.trendingSnapshot ? snapshots.get(d.trendingSnapshot) : undefined;
  const trending = trendingStored?.kind === "trending" ? trendingStored.items : null;
  // The session held the events up to its version; events logged before versions were recorded are placed by time.
  const past: PastEvent[] = events
    .filter((e) => (e.sessionVersion !== undefined ? e.sessionVersion <= d.sessionVersion : e.streamMs < d.atMs))
    .map((e) => ({ itemId: e.itemId, weight: eventWeight(e.type, e), timestampMs: e.timestampMs }));
  // The session's impressions: the user's earliest showings whose item counts add up to what it held.
  const counts = new Map<string, number>();
  let total = 0;
  for (const s of showings) {
    if (total >= d.shownTotal) break;
    for (const itemId of new Set(s.itemIds)) counts.set(itemId, (counts.get(itemId) ?? 0) + 1);
    total += new Set(s.itemIds).size;
  }
  if (total !== d.shownTotal) return { ok: false, reason: "the session's impressions do not match the logged showings (some were not logged)" };
  const session: FunnelSession = {
    // The session took an item's categories from the catalogue when the event came: the overlay's row for items changed or added since the build.
    ...offlineSession(past, d.atMs, (id) => overlay.rows.get(id)?.categories ?? categories.get(id) ?? [], SESSION_RECENT_EVENTS),
    impressions: buildImpressionTable(
      [...counts].map(([itemId, count]) => ({ hash: itemHash(itemId), count })),
      counts.size,
    ),
    declaredCategories: d.profileCategories,
  };
  // A fresh isolate serves light scores while its heavy ranker loads: as the logged list was ranked.
  return { ok: true, session, knobs: { ...d.knobs, heavy: d.knobs.heavy && imp.ranker !== "light" }, imp, trending, overlay };
}

/**
 * Trending as the Worker's Redis counters held it at `atMs`, recounted from
 * the event log: events Redis had received by then, each counted once per
 * user and item within TRENDING_ONCE_TTL_S, in the hourly bucket of its own
 * timestamp, for its region and "global"; merged like worker/src/redis/trending.ts
 * (the last 24 buckets, a bucket 6 hours old counting half).
 */
class ReplayedTrending implements TrendingPort {
  atMs = 0;
  /** The list the Worker read, when its snapshot was stored: used as is instead of the recount. */
  stored: TrendingSnapshot["items"] | null = null;
  private readonly counted: { region: string; itemId: string; bucket: number; receivedMs: number }[] = [];

  constructor(events: readonly LoggedEvent[]) {
    const lastCounted = new Map<string, number>();
    for (const e of [...events].sort((a, b) => a.streamMs - b.streamMs)) {
      const key = `${e.userId}\u0000${e.itemId}`;
      const last = lastCounted.get(key);
      if (last !== undefined && e.streamMs - last < TRENDING_ONCE_TTL_S * 1000) continue;
      lastCounted.set(key, e.streamMs);
      this.counted.push({ region: e.region ?? "global", itemId: e.itemId, bucket: hourBucket(e.timestampMs), receivedMs: e.streamMs });
    }
  }

  async read(region: string, limit: number): Promise<{ itemId: string; score: number }[]> {
    if (this.stored) return this.stored.map((i) => ({ ...i }));
    const current = hourBucket(this.atMs);
    // Per bucket age, per item: the counter's value; summed as the Worker sums them, bucket by bucket (same rounding).
    const buckets = Array.from({ length: DEFAULT_TRENDING.hours }, () => new Map<string, number>());
    for (const c of this.counted) {
      if (c.receivedMs >= this.atMs || (c.region !== region && region !== "global")) continue;
      const bucket = buckets[current - c.bucket];
      if (bucket) bucket.set(c.itemId, (bucket.get(c.itemId) ?? 0) + 1);
    }
    // As Redis returns a bucket's top entries: highest count first, ties by member descending.
    const top = buckets.map((counts) => [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1)).slice(0, DEFAULT_TRENDING.perBucket));
    return mergeTrendingBuckets(top, { ...DEFAULT_TRENDING, limit });
  }
}
