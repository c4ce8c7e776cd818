import { type AnnManifestSection } from "../../../../shared/ann/ann-manifest";
import { type ScanKernel } from "../../../../shared/ann/kernel/scan-kernel";
import { type CatalogItem } from "../../../../shared/catalog/catalog-item";
import { type FunnelKnobs } from "../../../../shared/funnel/knobs";
import { type Candidate } from "../../../../shared/ranking/candidate";
import { type RankerModel } from "../../../../shared/ranking/ranker-model";
import { type RankedEntry } from "../../../../shared/ranking/ranked-list";
import { loadNodeKernel } from "../../ann/node-kernel";
import { type HeavyTraining } from "../../ranker/train-heavy";
import { type InteractionTable, selectRows } from "../../train/interaction-table";
import { mulberry32 } from "../../train/seeded-random";
import { type CovisitRecommender } from "../covisit-recommender";
import { itemsByUser } from "../evaluate";
import { type IalsRecommender } from "../ials-recommender";
import { TEST } from "../msr-split";
import { listNdcg, mean } from "../metrics";
import { chooseOrder, type BootstrapOptions, type OrderChoice, type OrderScores } from "../../ranker/order-choice";
import { orderSource, type RankingOrder, sourceOrderWeights } from "../../../../shared/ranking/ranking-order";
import { type FittedFunnel, fittedPorts, fitFunnel, gathered, servedEntries, type FunnelSpec } from "./funnel-fit";
import { concatRankerRows, funnelRankerRows, trainFunnelRanker } from "./funnel-ranker";
import { OFFLINE_SOURCES, retrievalStats, type RetrievalStats } from "./retrieval-stats";

/** Seeds the halving of the validation users into ranker training and ranker comparison. */
const RANKER_SPLIT_SEED = 11;

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

export interface ServedFunnelOptions {
  spec: FunnelSpec;
  /** The knobs the ranker trains and is validated under (exploration off). */
  knobs: FunnelKnobs;
  training: HeavyTraining;
  /** Validation carves of a training table (mask per row, TEST = validation); the first also scores the ranker against the light order. */
  carves: (train: InteractionTable) => Uint8Array[];
  bootstrap?: BootstrapOptions;
}

/** `knobs` ordered as `order` says: the heavy model on its light top N, the light weights, or one source's order as light weights. */
export function orderKnobs(knobs: FunnelKnobs, order: RankingOrder): FunnelKnobs {
  const source = orderSource(order);
  if (source) return { ...knobs, light: sourceOrderWeights(source), heavy: false };
  return { ...knobs, heavy: order === "heavy" };
}

/**
 * The served funnel evaluated offline: shared/funnel's `runFunnel` through
 * in-memory ports over the index a build would publish from the training
 * table. `fit` first learns the heavy ranker on validation rows carved from
 * the training table (the funnel fitted on the rest replays each validation
 * user's request; the items they went on to interact with are the
 * positives), then fits the funnel on the whole training table, reusing the
 * standalone iALS and co-visitation rows' models when given.
 */
export class ServedFunnel {
  /** The heavy ranker trained on every validation user's rows; whether it serves is `choice.order`. */
  heavy: RankerModel | null = null;
  /** The order served, chosen on validation users (heavy, light, best single source) by a paired bootstrap, as build-ranker.ts does. */
  choice: OrderChoice | null = null;
  /** Validation figures of the choice (cross-fitted heavy scores on every validation user). */
  validation = { light: 0, heavy: 0, bestSource: 0, users: 0, rows: 0 };
  private fitted: FittedFunnel | null = null;
  private fittedOn: InteractionTable | null = null;
  /** Merged candidates of each user listed under the options' knobs, for the retrieval figures. */
  private readonly candidates = new Map<number, Candidate[]>();
  private readonly kernel: ScanKernel = loadNodeKernel();
  /** Seconds spent on the ranker's validation replay and training, and on the final funnel. */
  readonly seconds = { ranker: 0, funnel: 0 };

  constructor(
    private readonly catalog: readonly CatalogItem[],
    readonly options: ServedFunnelOptions,
    private readonly reuse: { ials?: IalsRecommender; covisit?: CovisitRecommender } = {},
  ) {}

  async fit(train: InteractionTable): Promise<void> {
    if (this.fittedOn === train) return;
    this.fittedOn = train;
    this.candidates.clear();
    const t0 = performance.now();
    await this.chooseRanking(train);
    const t1 = performance.now();
    this.reuse.ials?.fit(train);
    this.reuse.covisit?.fit(train);
    this.fitted = fitFunnel(train, this.catalog, this.options.spec, { factors: this.reuse.ials?.factors, covisit: this.reuse.covisit?.lists });
    this.seconds.ranker = (t1 - t0) / 1000;
    this.seconds.funnel = (performance.now() - t1) / 1000;
  }

  /** The user's first k served entries under `knobs`, ordered as `order` says ("served": the validation's choice). */
  async list(user: number, knobs: FunnelKnobs, order: RankingOrder | "served", k: number): Promise<RankedEntry[]> {
    const fitted = this.fittedOrThrow();
    const ordered = orderKnobs(knobs, order === "served" ? (this.choice?.order ?? "light") : order);
    const ports = fittedPorts(fitted, this.kernel, ordered.heavy ? this.heavy : null);
    if (!this.candidates.has(user)) this.candidates.set(user, (await gathered(fitted, ports, user, this.options.knobs))?.candidates ?? []);
    return servedEntries(fitted, ports, user, ordered, k);
  }

  /** The fitted index's ANN section (its calibrated knobs), or null before fit. */
  annSection(): AnnManifestSection | null {
    return this.fitted?.index.ann ?? null;
  }

  /** Retrieval figures over the users listed so far. */
  stats(): RetrievalStats {
    return retrievalStats(this.fittedOrThrow(), this.candidates);
  }

  private fittedOrThrow(): FittedFunnel {
    if (!this.fitted) throw new Error("ServedFunnel used before fit");
    return this.fitted;
  }

  /**
   * The heavy ranker and the served order from validation rows carved from
   * `train`. The first carve's validation users fall in two seeded halves;
   * a model trained on one half's rows (in every carve) scores the other
   * half's served lists, so every validation user gets a heavy score from a
   * model that never saw them (cross-fitting). Those lists, the light
   * order's and each offline source's raw order (as light weights) are
   * compared by `chooseOrder`; the heavy ranker kept is retrained on all.
   */
  private async chooseRanking(train: InteractionTable): Promise<void> {
    const carves = [];
    for (const mask of this.options.carves(train)) carves.push(await this.carveRows(train, mask));
    const [{ inner, dense, rows }, ...more] = carves as [(typeof carves)[number], ...typeof carves];
    const uniform = mulberry32(RANKER_SPLIT_SEED);
    const halves: [Set<number>, Set<number>] = [new Set(), new Set()];
    for (const u of rows.users) halves[uniform() < 0.5 ? 0 : 1].add(u);
    const all = concatRankerRows([rows, ...more.map((carve) => carve.rows)]);
    const itemIndex = new Map(train.itemIds.map((id, i) => [id, i]));
    const users = [...halves[0], ...halves[1]];
    const ndcgOf = async (heavy: RankerModel | null, knobs: FunnelKnobs, of: readonly number[]) => {
      const ports = fittedPorts(inner, this.kernel, heavy);
      const out: number[] = [];
      for (const u of of) {
        const list = (await servedEntries(inner, ports, u, knobs, 10)).map((e) => itemIndex.get(e.itemId)!);
        out.push(listNdcg(list, dense.get(u)!, 10));
      }
      return out;
    };
    const base = this.options.knobs;
    const light = Float64Array.from(await ndcgOf(null, orderKnobs(base, "light"), users));
    const heavyPerUser: number[] = [];
    for (const [k, half] of halves.entries()) {
      const fitGroups = all.users.flatMap((u, g) => (halves[1 - k]!.has(u) ? [g] : []));
      const model = trainFunnelRanker(all, this.options.training, fitGroups);
      heavyPerUser.push(...(await ndcgOf(model, orderKnobs(base, "heavy"), [...half])));
    }
    let best: OrderScores | null = null;
    for (const source of OFFLINE_SOURCES) {
      const order = `source:${source}` as const;
      const perUser = Float64Array.from(await ndcgOf(null, orderKnobs(base, order), users));
      if (!best || mean(perUser) > mean(best.perUser)) best = { order, perUser };
    }
    const heavy = Float64Array.from(heavyPerUser);
    this.choice = chooseOrder([{ order: "light", perUser: light }, ...(best ? [best] : []), { order: "heavy", perUser: heavy }], this.options.bootstrap);
    this.validation = {
      light: round4(mean(light)),
      heavy: round4(mean(heavy)),
      bestSource: round4(best ? mean(best.perUser) : 0),
      users: users.length,
      rows: all.labels.length,
    };
    this.heavy = trainFunnelRanker(all, this.options.training);
  }
  /** One carve's labelled requests: the funnel fitted on its fit rows replays each validation user's request. */
  private async carveRows(train: InteractionTable, mask: Uint8Array) {
    const inner = fitFunnel(selectRows(train, mask, 0), this.catalog, this.options.spec);
    const dense = itemsByUser(selectRows(train, mask, TEST));
    const truth = new Map([...dense].map(([u, items]) => [u, new Set([...items].map((i) => train.itemIds[i]!))]));
    return { inner, dense, rows: await funnelRankerRows(inner, this.kernel, truth, this.options.knobs) };
  }
}
