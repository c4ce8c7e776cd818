import { type Redis } from "@upstash/redis";
import {
  DECISION_SNAPSHOT_TTL_S,
  type DecisionSnapshot,
  decisionSnapshotId,
  decisionSnapshotKey,
  encodeDecisionSnapshot,
} from "../../../shared/experiments/decision-snapshots";
import { type CatalogView } from "../../../shared/funnel/ports";

/** What the funnel read while deciding a list, as the Worker's ports report it (worker-ports.ts). */
export interface DecisionInputsSeen {
  /** When the trending list read left Redis (the isolate memoizes it); null when none was read. */
  trendingAsOfMs: number | null;
  trending?: readonly { itemId: string; score: number }[];
  overlay?: CatalogView;
}

/**
 * Ids by object: the trending memo and the overlay memo hand out the same
 * object while it is fresh, so each is encoded and hashed once per isolate.
 */
const ids = new WeakMap<object, Promise<{ id: string; encoded: string }>>();
/** Snapshots this isolate has stored (or is storing); bounded, as an isolate can live for days. */
const stored = new Set<string>();
const STORED_MAX = 1024;

function named(of: object, snapshot: () => DecisionSnapshot): Promise<{ id: string; encoded: string }> {
  let p = ids.get(of);
  if (!p) {
    const encoded = encodeDecisionSnapshot(snapshot());
    p = decisionSnapshotId(encoded).then((id) => ({ id, encoded }));
    ids.set(of, p);
  }
  return p;
}

/**
 * Names the trending list and catalogue overlay a decision used, for its
 * record, and stores each in Redis the first time this isolate uses it
 * (`defer`: after the response). A snapshot not stored (Redis down) is
 * tried again by the next list that uses it; a record naming a snapshot
 * that never arrived is replayed without it (ope says how many).
 */
export async function decisionSnapshots(
  redis: Redis | null,
  seen: DecisionInputsSeen,
  defer: (work: Promise<unknown>) => void,
): Promise<{ trendingSnapshot?: string; overlaySnapshot?: string }> {
  if (!redis) return {};
  const out: { trendingSnapshot?: string; overlaySnapshot?: string } = {};
  const toStore: { id: string; encoded: string }[] = [];
  const trending = seen.trending;
  if (trending) {
    const s = await named(trending, () => ({ kind: "trending", items: [...trending] }));
    out.trendingSnapshot = s.id;
    toStore.push(s);
  }
  const overlay = seen.overlay;
  // An incomplete overlay sends the funnel to D1 for the rows it does not name: no snapshot can hold that.
  if (overlay && overlay.complete && overlay.rows.size + overlay.fresh.length > 0) {
    const s = await named(overlay, () => ({ kind: "overlay", fresh: [...overlay.fresh], rows: [...overlay.rows.values()] }));
    out.overlaySnapshot = s.id;
    toStore.push(s);
  }
  for (const s of toStore) {
    if (stored.has(s.id)) continue;
    if (stored.size >= STORED_MAX) stored.clear();
    stored.add(s.id);
    defer(
      redis.set(decisionSnapshotKey(s.id), s.encoded, { nx: true, ex: DECISION_SNAPSHOT_TTL_S }).catch(() => {
        stored.delete(s.id);
      }),
    );
  }
  return out;
}
