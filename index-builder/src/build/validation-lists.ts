import { type Candidate, type ItemFacts, type UserContext } from "../../../shared/ranking/candidate";
import { type LightWeights, lightScores } from "../../../shared/ranking/light-rank";
import { rankingMetrics } from "../eval/metrics";
import { type HistoryEvent, offlineCandidates, type OfflineModels } from "../ranker/offline-funnel";
import { type CovisitLists } from "../../../shared/covisit/covisit-lists";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { type InteractionTable } from "../train/interaction-table";
import { type TrainedEmbeddings } from "../train/train-ials";
import { DEFAULT_POPULARITY } from "./popularity";

/** One validation user's request as the funnel would see it: merged candidates and context. */
interface ValidationRequest {
  user: number;
  candidates: Candidate[];
  ctx: UserContext;
}

/**
 * The funnel's candidates for validation users, replayed offline
 * (ranker/offline-funnel.ts) from models fitted on the fit rows, so light
 * weights can be compared on the orders they give the same candidates.
 * Popularity is the builder's decayed mass over the fit rows.
 */
export class ValidationLists {
  private readonly requests: ValidationRequest[] = [];
  private readonly facts: Map<string, ItemFacts>;
  private readonly itemIndex: Map<string, number>;

  constructor(
    fit: InteractionTable,
    private readonly relevant: ReadonlyMap<number, ReadonlySet<number>>,
    catalog: readonly CatalogItem[],
    embeddings: TrainedEmbeddings,
    covisit: CovisitLists,
    maxUsers: number,
  ) {
    const nItems = fit.itemIds.length;
    let asOfSec = -Infinity;
    for (const t of fit.timestampsSec) asOfSec = Math.max(asOfSec, t);
    const halfLifeSec = DEFAULT_POPULARITY.halfLifeDays * 86_400;
    const mass = new Float64Array(nItems);
    for (let r = 0; r < fit.items.length; r++) mass[fit.items[r]!]! += Math.pow(0.5, (asOfSec - fit.timestampsSec[r]!) / halfLifeSec);
    const byId = new Map(catalog.map((item) => [item.itemId, item]));
    const factList: ItemFacts[] = fit.itemIds.map((itemId, i) => {
      const item = byId.get(itemId);
      return { itemId, title: item?.title ?? itemId, categories: item?.categories ?? [], year: item?.year ?? null, popularity: mass[i]!, available: true, fresh: false };
    });
    const popularOrder = [...mass.keys()].filter((i) => mass[i]! > 0).sort((a, b) => mass[b]! - mass[a]! || a - b);
    const byCategory = new Map<string, number[]>();
    for (const i of popularOrder) for (const c of factList[i]!.categories) byCategory.set(c, [...(byCategory.get(c) ?? []), i]);
    const models: OfflineModels = { embeddings, covisit, facts: factList, popularOrder, byCategory };
    this.facts = new Map(factList.map((f) => [f.itemId, f]));
    this.itemIndex = new Map(fit.itemIds.map((id, i) => [id, i]));

    const histories = new Map<number, HistoryEvent[]>();
    for (let r = 0; r < fit.users.length; r++) {
      const list = histories.get(fit.users[r]!) ?? [];
      list.push({ item: fit.items[r]!, weight: fit.values[r]!, timestampMs: fit.timestampsSec[r]! * 1000 });
      histories.set(fit.users[r]!, list);
    }
    const users = [...relevant.keys()].filter((u) => histories.has(u)).sort((a, b) => a - b);
    // An even spread over user indices when there are more than maxUsers.
    const take = Math.min(maxUsers, users.length);
    for (let j = 0; j < take; j++) {
      const user = users[Math.floor((j * users.length) / take)]!;
      const history = histories.get(user)!.sort((a, b) => a.timestampMs - b.timestampMs);
      const { candidates, ctx } = offlineCandidates(models, history, history[history.length - 1]!.timestampMs);
      this.requests.push({ user, candidates, ctx });
    }
  }

  get users(): number {
    return this.requests.length;
  }

  /** Validation nDCG@10 of the light ranker's order under `weights`. */
  ndcgOfLight(weights: LightWeights): number {
    return this.ndcgOf((r) => lightScores(r.candidates, this.facts, r.ctx, weights));
  }

  /** nDCG@10 of candidates ordered by one source's raw score (others below), or by popularity. */
  ndcgOfSource(source: "ann" | "popularity"): number {
    return this.ndcgOf((r) => Float64Array.from(r.candidates, (c) => (source === "ann" ? (c.sources.ann ?? -Infinity) : (this.facts.get(c.itemId)?.popularity ?? 0))));
  }

  private ndcgOf(score: (r: ValidationRequest) => Float64Array): number {
    const lists = new Map<number, number[]>();
    for (const r of this.requests) {
      const s = score(r);
      const order = r.candidates.map((_, k) => k).sort((a, b) => s[b]! - s[a]! || a - b);
      lists.set(r.user, order.slice(0, 10).map((k) => this.itemIndex.get(r.candidates[k]!.itemId)!));
    }
    const relevant = new Map([...this.requests].map((r) => [r.user, this.relevant.get(r.user)!]));
    return rankingMetrics(lists, relevant, 10, this.itemIndex.size).ndcgAtK;
  }
}
