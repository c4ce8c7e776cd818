import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { eventWeight } from "../../../shared/embeddings/event-weights";
import { type InteractionEvent } from "../../../shared/events/event";
import { type ImpressionRecord } from "../../../shared/experiments/exposure";
import { SERVED_KNOBS } from "../../../shared/funnel/knobs";
import { runFunnel, type Surface } from "../../../shared/funnel/run-funnel";
import { SESSION_RECENT_EVENTS } from "../../../shared/funnel/session";
import { decodePopularBlob } from "../../../shared/index-format/popular";
import { type IndexManifest, parseManifest } from "../../../shared/index-format/manifest";
import { loadNodeKernel } from "../ann/node-kernel";
import { FALLBACK_SIZE, type MemoryIndex } from "../funnel/memory-index";
import { memoryFunnelPorts } from "../funnel/memory-ports";
import { offlineSession, type PastEvent } from "../funnel/offline-session";

/** A built version directory (`.index/<version>`) read back into memory: the blobs it would publish. */
export async function readBuiltIndex(dir: string): Promise<{ index: MemoryIndex; catalog: CatalogItem[] }> {
  const manifest: IndexManifest = parseManifest(JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")));
  if (!manifest.funnel) throw new Error(`${dir}: the version has no funnel section; replay needs the serving funnel's blobs`);
  const blobs = new Map<string, { bytes: Uint8Array; contentType: string }>();
  for (const [name, ref] of Object.entries(manifest.blobs)) blobs.set(name, { bytes: new Uint8Array(await readFile(join(dir, "blobs", name))), contentType: ref.contentType });
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
 * and the funnel runs without exploration. The result is that version's
 * list for the logged context: a deterministic candidate, whose probability
 * of the logged item at each logged position is 1 when it puts that item
 * there and 0 otherwise. Not replayed: what the session held besides events
 * (impression counts, a declared profile), regional trending, editorial
 * lists and catalog rows newer than the version.
 */
export async function replayThroughIndex(dir: string, impressions: readonly ImpressionRecord[], events: readonly InteractionEvent[]): Promise<{ version: string; lists: Map<string, string[]> }> {
  const { index, catalog } = await readBuiltIndex(dir);
  const ports = memoryFunnelPorts(index, { kernel: loadNodeKernel(), policy: undefined });
  const categories = new Map(catalog.map((c) => [c.itemId, c.categories]));
  const byUser = new Map<string, PastEvent[]>();
  for (const e of [...events].sort((a, b) => a.timestampMs - b.timestampMs)) {
    const list = byUser.get(e.userId) ?? [];
    list.push({ itemId: e.itemId, weight: eventWeight(e.type, e), timestampMs: e.timestampMs });
    byUser.set(e.userId, list);
  }
  const knobs = { ...SERVED_KNOBS, policy: { explorationRate: 0 } };
  const lists = new Map<string, string[]>();
  for (const imp of impressions) {
    const at = imp.timestampMs ?? Date.now();
    const past = (byUser.get(imp.userId) ?? []).filter((e) => e.timestampMs < at);
    const session = offlineSession(past, at, (id) => categories.get(id) ?? [], SESSION_RECENT_EVENTS);
    const result = await runFunnel(
      ports,
      { surface: imp.surface as Surface, contextItemId: imp.contextItemId ?? null, category: null, excludeIds: [], region: imp.region, listSize: imp.itemIds.length, nowMs: at },
      session,
      knobs,
      () => 0.5,
    );
    lists.set(imp.impressionId, result.entries.map((e) => e.itemId));
  }
  return { version: index.version, lists };
}
