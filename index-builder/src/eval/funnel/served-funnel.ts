import { type AnnManifestSection } from "../../../../shared/ann/ann-manifest";
import { type ScanKernel } from "../../../../shared/ann/kernel/scan-kernel";
import { type CatalogItem } from "../../../../shared/catalog/catalog-item";
import { type FunnelKnobs } from "../../../../shared/funnel/knobs";
import { type Candidate } from "../../../../shared/ranking/candidate";
import { type MlpModel } from "../../../../shared/ranking/mlp";
import { type RankedEntry } from "../../../../shared/ranking/ranked-list";
import { loadNodeKernel } from "../../ann/node-kernel";
import { type MlpTrainOptions } from "../../ranker/train-mlp";
import { type InteractionTable, selectRows } from "../../train/interaction-table";
import { mulberry32 } from "../../train/seeded-random";
import { type CovisitRecommender } from "../covisit-recommender";
import { itemsByUser } from "../evaluate";
import { type IalsRecommender } from "../ials-recommender";
import { rankingMetrics } from "../metrics";
import { TEST } from "../msr-split";
import { type FittedFunnel, fittedPorts, fitFunnel, gathered, servedEntries, type FunnelSpec } from "./funnel-fit";
import { concatRankerRows, funnelRankerRows, trainFunnelRanker } from "./funnel-ranker";
import { retrievalStats, type RetrievalStats } from "./retrieval-stats";

/** Seeds the halving of the validation users into ranker training and ranker comparison. */
const RANKER_SPLIT_SEED = 11;

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

export interface ServedFunnelOptions {
  spec: FunnelSpec;
  /** The knobs the ranker trains and is validated under (exploration off). */
  knobs: FunnelKnobs;
  training: MlpTrainOptions;
  /** Validation carves of a training table (mask per row, TEST = validation); the first also scores the ranker against the light order. */
  carves: (train: InteractionTable) => Uint8Array[];
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
  /** The heavy ranker, when it beat the light ordering on validation (as build-ranker.ts ships it); else null. */
  heavy: MlpModel | null = null;
  /** Validation nDCG@10 of the light and heavy orderings on the held-out half of the validation users. */
  validation = { light: 0, heavy: 0, users: 0, rows: 0 };
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
    this.heavy = await this.trainRanker(train);
    const t1 = performance.now();
    this.reuse.ials?.fit(train);
    this.reuse.covisit?.fit(train);
    this.fitted = fitFunnel(train, this.catalog, this.options.spec, { factors: this.reuse.ials?.factors, covisit: this.reuse.covisit?.lists });
    this.seconds.ranker = (t1 - t0) / 1000;
    this.seconds.funnel = (performance.now() - t1) / 1000;
  }

  /** The user's first k served entries under `knobs` (the trained heavy ranker runs when `knobs.heavy` and it shipped). */
  async list(user: number, knobs: FunnelKnobs, k: number): Promise<RankedEntry[]> {
    const fitted = this.fittedOrThrow();
    const ports = fittedPorts(fitted, this.kernel, knobs.heavy ? this.heavy : null);
    if (!this.candidates.has(user)) this.candidates.set(user, (await gathered(fitted, ports, user, this.options.knobs))?.candidates ?? []);
    return servedEntries(fitted, ports, user, knobs, k);
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
   * The heavy ranker from validation rows carved from `train`: trained on a
   * seeded half of the first carve's validation users (their rows in every
   * carve) and compared with the light ordering on the other half, whose
   * rows in no carve are trained on; shipped (retrained on every carve's
   * users) only when it wins, as build-ranker.ts decides for the index.
   */
  private async trainRanker(train: InteractionTable): Promise<MlpModel | null> {
    const carves = [];
    for (const mask of this.options.carves(train)) carves.push(await this.carveRows(train, mask));
    const [{ inner, dense, rows }, ...more] = carves as [(typeof carves)[number], ...typeof carves];
    const uniform = mulberry32(RANKER_SPLIT_SEED);
    const held = new Set<number>();
    for (const u of rows.users) if (!(uniform() < 0.5)) held.add(u);
    const all = concatRankerRows([rows, ...more.map((carve) => carve.rows)]);
    const fitGroups = all.users.flatMap((u, g) => (held.has(u) ? [] : [g]));
    const candidate = trainFunnelRanker(all, this.options.training, fitGroups);
    const itemIndex = new Map(train.itemIds.map((id, i) => [id, i]));
    const score = async (heavy: MlpModel | null) => {
      const ports = fittedPorts(inner, this.kernel, heavy);
      const knobs = { ...this.options.knobs, heavy: heavy !== null };
      const lists = new Map<number, number[]>();
      for (const u of held) lists.set(u, (await servedEntries(inner, ports, u, knobs, 10)).map((e) => itemIndex.get(e.itemId)!));
      return rankingMetrics(lists, new Map([...dense].filter(([u]) => held.has(u))), 10, train.itemIds.length);
    };
    const light = await score(null);
    const heavy = await score(candidate);
    this.validation = { light: round4(light.ndcgAtK), heavy: round4(heavy.ndcgAtK), users: light.users, rows: all.labels.length };
    return heavy.ndcgAtK > light.ndcgAtK ? trainFunnelRanker(all, this.options.training) : null;
  }

  /** One carve's labelled requests: the funnel fitted on its fit rows replays each validation user's request. */
  private async carveRows(train: InteractionTable, mask: Uint8Array) {
    const inner = fitFunnel(selectRows(train, mask, 0), this.catalog, this.options.spec);
    const dense = itemsByUser(selectRows(train, mask, TEST));
    const truth = new Map([...dense].map(([u, items]) => [u, new Set([...items].map((i) => train.itemIds[i]!))]));
    return { inner, dense, rows: await funnelRankerRows(inner, this.kernel, truth, this.options.knobs) };
  }
}
