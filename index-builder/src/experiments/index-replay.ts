import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { eventWeight } from "../../../shared/embeddings/event-weights";
import { type ImpressionRecord } from "../../../shared/experiments/exposure";
import { SERVED_KNOBS } from "../../../shared/funnel/knobs";
import { runFunnel, type Surface } from "../../../shared/funnel/run-funnel";
import { SESSION_RECENT_EVENTS } from "../../../shared/funnel/session";
import { decodePopularBlob } from "../../../shared/index-format/popular";
import { mlpFromOnnx } from "../../../shared/ranking/onnx-import";
import { RANKER_BLOBS } from "../../../shared/ranking/onnx-ranker";
import { type IndexManifest, parseManifest } from "../../../shared/index-format/manifest";
import { loadNodeKernel } from "../ann/node-kernel";
import { FALLBACK_SIZE, type MemoryIndex } from "../funnel/memory-index";
import { memoryFunnelPorts } from "../funnel/memory-ports";
import { offlineSession, type PastEvent } from "../funnel/offline-session";
import { buildImpressionTable, itemHash } from "../../../shared/ranking/impression-table";
import { type TrendingPort } from "../../../shared/funnel/ports";
import { hourBucket, TRENDING_ONCE_TTL_S } from "../../../shared/online/redis-keys";
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
    },
    catalog,
  };
}

/**
 * Replays each logged showing through another index version's funnel,
 * offline: the user's session is rebuilt from the event log as it stood
 * when the list was shown (events before it, the session's recent window),
 * with the impression counts of the lists shown to them before, and the
 * funnel runs without exploration. The result is that version's
 * list for the logged context: a deterministic candidate, whose probability
 * of the logged item at each logged position is 1 when it puts that item
 * there and 0 otherwise. Regional trending is recounted from the event log
 * as the Worker's counters held it then. Not replayed: a declared profile,
 * editorial lists, the configured policy (the defaults stand) and catalog
 * rows newer than the version.
 */
export async function replayThroughIndex(
  dir: string,
  impressions: readonly (ImpressionRecord & { streamMs: number })[],
  events: readonly LoggedEvent[],
): Promise<{ version: string; lists: Map<string, string[]> }> {
  const { index, catalog } = await readBuiltIndex(dir);
  // The heavy ranker the version ships, scored in process (the ONNX export computes the same function).
  const model = index.blobs.get(RANKER_BLOBS.model);
  const trending = new ReplayedTrending(events);
  const ports = memoryFunnelPorts(index, { kernel: loadNodeKernel(), ranker: model ? mlpFromOnnx(model.bytes) : null, trending });
  const categories = new Map(catalog.map((c) => [c.itemId, c.categories]));
  // Ordered by when Redis received them, as the session saw them; impressions likewise by when they were logged.
  const byUser = new Map<string, (PastEvent & { receivedMs: number })[]>();
  for (const e of [...events].sort((a, b) => a.streamMs - b.streamMs)) {
    const list = byUser.get(e.userId) ?? [];
    list.push({ itemId: e.itemId, weight: eventWeight(e.type, e), timestampMs: e.timestampMs, receivedMs: e.streamMs });
    byUser.set(e.userId, list);
  }
  const shownBefore = new Map<string, Map<string, number>>();
  const knobs = { ...SERVED_KNOBS, policy: { explorationRate: 0 } };
  const lists = new Map<string, string[]>();
  for (const imp of [...impressions].sort((a, b) => a.streamMs - b.streamMs)) {
    const at = imp.streamMs;
    trending.atMs = at;
    const past = (byUser.get(imp.userId) ?? []).filter((e) => e.receivedMs < at);
    const counts = shownBefore.get(imp.userId) ?? new Map<string, number>();
    const session = {
      ...offlineSession(past, at, (id) => categories.get(id) ?? [], SESSION_RECENT_EVENTS),
      impressions: buildImpressionTable(
        [...counts].map(([itemId, count]) => ({ hash: itemHash(itemId), count })),
        counts.size,
      ),
    };
    const result = await runFunnel(
      ports,
      {
        surface: imp.surface as Surface,
        contextItemId: imp.contextItemId ?? null,
        category: null,
        excludeIds: [],
        region: imp.region,
        listSize: imp.itemIds.length,
        nowMs: at,
      },
      session,
      // As the logged list was ranked: a fresh isolate serves light scores while its heavy ranker loads.
      { ...knobs, heavy: imp.ranker !== "light" },
      () => 0.5,
    );
    lists.set(
      imp.impressionId,
      result.entries.map((e) => e.itemId),
    );
    for (const itemId of imp.itemIds) counts.set(itemId, (counts.get(itemId) ?? 0) + 1);
    shownBefore.set(imp.userId, counts);
  }
  return { version: index.version, lists };
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
  private readonly counted: { region: string; itemId: string; bucket: number; receivedMs: number }[] = [];

  constructor(events: readonly LoggedEvent[]) {
    const lastCounted = new Map<string, number>();
    for (const e of [...events].sort((a, b) => a.streamMs - b.streamMs)) {
      const key = `${e.userId}\u0000${e.itemId}`;
      const last = lastCounted.get(key);
      if (last !== undefined && e.streamMs - last < TRENDING_ONCE_TTL_S * 1000) continue;
      lastCounted.set(key, e.streamMs);
      const region = (e as LoggedEvent & { region?: string }).region ?? "global";
      this.counted.push({ region, itemId: e.itemId, bucket: hourBucket(e.timestampMs), receivedMs: e.streamMs });
    }
  }

  async read(region: string, limit: number): Promise<{ itemId: string; score: number }[]> {
    const current = hourBucket(this.atMs);
    const scores = new Map<string, number>();
    for (const c of this.counted) {
      if (c.receivedMs >= this.atMs || (c.region !== region && region !== "global")) continue;
      const age = current - c.bucket;
      if (age < 0 || age >= 24) continue;
      scores.set(c.itemId, (scores.get(c.itemId) ?? 0) + Math.pow(0.5, age / 6));
    }
    return [...scores]
      .map(([itemId, score]) => ({ itemId, score: Math.round(score * 1e6) / 1e6 }))
      .sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : 1))
      .slice(0, limit);
  }
}
