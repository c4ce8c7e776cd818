import { type CovisitLists, scoreByCovisitation } from "../../../shared/covisit/covisit-lists";
import { buildCovisitation, type CovisitOptions, DEFAULT_COVISIT, windowHours } from "../train/covisitation";
import { type InteractionTable } from "../train/interaction-table";
import { type Recommender } from "./recommender";

/**
 * Recommends by co-visitation of the user's history, as the Worker's
 * co-visitation candidate source will: SAR's time-decayed affinity (rating ·
 * 0.5^(age / 30 days)) over the history, times the top-N neighbour lists.
 */
export class CovisitRecommender implements Recommender {
  readonly name: string;
  readonly params: Record<string, number>;
  lists: CovisitLists | null = null;
  private histories: { item: number; weight: number }[][] = [];
  private fittedOn: InteractionTable | null = null;
  private readonly options: CovisitOptions;
  private readonly scratch = new Map<number, number>();

  constructor(
    options: Partial<CovisitOptions> = {},
    private readonly affinityHalfLifeSec = 30 * 86_400,
  ) {
    this.options = { ...DEFAULT_COVISIT, ...options };
    this.name = `covisit-top${this.options.topN}`;
    const hours = windowHours(this.options);
    this.params = {
      top_n: this.options.topN,
      half_life_days: this.options.halfLifeSec / 86_400,
      min_users: this.options.minUsers,
      ...(hours === null ? {} : { window_hours: hours }),
      affinity_half_life_days: affinityHalfLifeSec / 86_400,
    };
  }

  fit(train: InteractionTable): void {
    // A fusion row reuses the instance its standalone row already fitted on the same table.
    if (this.fittedOn === train) return;
    this.fittedOn = train;
    this.lists = buildCovisitation(train, this.options);
    let tNow = -Infinity;
    for (const t of train.timestampsSec) tNow = Math.max(tNow, t);
    this.histories = train.userIds.map(() => []);
    for (let r = 0; r < train.users.length; r++) {
      const weight = train.values[r]! * Math.pow(0.5, (tNow - train.timestampsSec[r]!) / this.affinityHalfLifeSec);
      this.histories[train.users[r]!]!.push({ item: train.items[r]!, weight });
    }
  }

  scoreUser(user: number, out: Float64Array): void {
    if (!this.lists) throw new Error("CovisitRecommender.scoreUser before fit");
    scoreByCovisitation(this.lists, this.histories[user] ?? [], this.scratch);
    // Items with no co-visitation evidence rank below every item with some.
    out.fill(-1e30);
    for (const [item, score] of this.scratch) out[item] = score;
  }
}
