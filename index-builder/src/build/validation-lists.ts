import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { type CovisitLists } from "../../../shared/covisit/covisit-lists";
import { SERVED_KNOBS } from "../../../shared/funnel/knobs";
import { gatherCandidates, type Gathered } from "../../../shared/funnel/run-funnel";
import { SESSION_RECENT_EVENTS } from "../../../shared/funnel/session";
import { type LightWeights, lightScores } from "../../../shared/ranking/light-rank";
import { loadNodeKernel } from "../ann/node-kernel";
import { homeRequest } from "../eval/funnel/funnel-fit";
import { listNdcg, mean } from "../eval/metrics";
import { buildMemoryIndex } from "../funnel/memory-index";
import { memoryFunnelPorts } from "../funnel/memory-ports";
import { offlineSession, type PastEvent } from "../funnel/offline-session";
import { type InteractionTable } from "../train/interaction-table";
import { type TrainedEmbeddings } from "../train/train-ials";
import { DEFAULT_POPULARITY, tableDecayedMass } from "./popularity";

/**
 * The served funnel's merged candidates for validation users, gathered
 * once (shared/funnel through in-memory ports over the blobs a build of the
 * fit rows would publish, the heavy ranker off), so light weights can be
 * compared on the orders they give the same candidates. Sessions hold each
 * user's fit rows as events of their training weight, the `recentLimit` most
 * recent folded in (by default 50, as the Worker's session would).
 */
export class ValidationLists {
  private constructor(
    private readonly requests: { user: number; g: Gathered }[],
    private readonly relevant: ReadonlyMap<number, ReadonlySet<number>>,
    private readonly itemIndex: ReadonlyMap<string, number>,
  ) {}

  static async gather(
    fit: InteractionTable,
    relevant: ReadonlyMap<number, ReadonlySet<number>>,
    catalog: readonly CatalogItem[],
    embeddings: TrainedEmbeddings,
    covisit: CovisitLists,
    maxUsers: number,
    recentLimit: number = SESSION_RECENT_EVENTS,
  ): Promise<ValidationLists> {
    const { asOfMs, mass } = tableDecayedMass(fit, DEFAULT_POPULARITY.halfLifeDays);
    const index = buildMemoryIndex({ version: "tune", catalog, embeddings, covisit, mass, asOfMs });
    const ports = memoryFunnelPorts(index, { kernel: loadNodeKernel() });
    const categories = new Map(catalog.map((item) => [item.itemId, item.categories]));
    const histories = new Map<number, PastEvent[]>();
    for (let r = 0; r < fit.users.length; r++) {
      const list = histories.get(fit.users[r]!) ?? [];
      list.push({ itemId: fit.itemIds[fit.items[r]!]!, weight: fit.values[r]!, timestampMs: fit.timestampsSec[r]! * 1000 });
      histories.set(fit.users[r]!, list);
    }
    const users = [...relevant.keys()].filter((u) => histories.has(u)).sort((a, b) => a - b);
    const take = Math.min(maxUsers, users.length);
    const requests: { user: number; g: Gathered }[] = [];
    // An even spread over user indices when there are more than maxUsers.
    for (let j = 0; j < take; j++) {
      const user = users[Math.floor((j * users.length) / take)]!;
      const events = histories.get(user)!.sort((a, b) => a.timestampMs - b.timestampMs);
      const nowMs = events[events.length - 1]!.timestampMs;
      const session = offlineSession(events, nowMs, (id) => categories.get(id) ?? [], recentLimit);
      requests.push({ user, g: await gatherCandidates(ports, homeRequest(nowMs, 100), session, { ...SERVED_KNOBS, heavy: false }) });
    }
    return new ValidationLists(requests, relevant, new Map(fit.itemIds.map((id, i) => [id, i])));
  }

  get users(): number {
    return this.requests.length;
  }

  /** Validation nDCG@10 of the light ranker's order under `weights`. */
  ndcgOfLight(weights: LightWeights): number {
    return mean(this.perUserOfLight(weights));
  }

  /** Each replayed user's nDCG@10 under `weights`, in the order of the users gathered (the same for every call). */
  perUserOfLight(weights: LightWeights): Float64Array {
    return this.perUserOf(({ g }) => lightScores(g.candidates, g.facts, g.user, weights));
  }

  /** nDCG@10 of the candidates ordered by the ANN source's raw score (others below), or by popularity. */
  ndcgOfSource(source: "ann" | "popularity"): number {
    return this.ndcgOf(({ g }) =>
      Float64Array.from(g.candidates, (c) => (source === "ann" ? (c.sources.ann ?? -Infinity) : (g.facts.get(c.itemId)?.popularity ?? 0))),
    );
  }

  private ndcgOf(score: (r: { g: Gathered }) => Float64Array): number {
    return mean(this.perUserOf(score));
  }

  private perUserOf(score: (r: { g: Gathered }) => Float64Array): Float64Array {
    return Float64Array.from(this.requests, (r) => {
      const s = score(r);
      const order = r.g.candidates.map((_, k) => k).sort((a, b) => s[b]! - s[a]! || a - b);
      const top = order.slice(0, 10).map((k) => this.itemIndex.get(r.g.candidates[k]!.itemId)!);
      return listNdcg(top, this.relevant.get(r.user)!, 10);
    });
  }
}
