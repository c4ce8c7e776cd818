import { type RankingOrder } from "../../../shared/ranking/ranking-order";
import { mean } from "../eval/metrics";
import { mulberry32 } from "../train/seeded-random";

/** One order's nDCG@10 per validation user; every contender lists the same users in the same order. */
export interface OrderScores {
  order: RankingOrder;
  perUser: Float64Array;
}

/** A paired bootstrap confidence interval of mean(a − b) over users (percentile method, Efron & Tibshirani 1993, ch. 13). */
export interface BootstrapInterval {
  /** mean(a − b) over the users themselves. */
  lead: number;
  lo: number;
  hi: number;
  confidence: number;
  resamples: number;
  seed: number;
}

export interface BootstrapOptions {
  resamples: number;
  /** Two-sided coverage of the interval, e.g. 0.95. */
  confidence: number;
  seed: number;
}

export const DEFAULT_BOOTSTRAP: BootstrapOptions = { resamples: 2000, confidence: 0.95, seed: 23 };

/**
 * Resamples users with replacement, `resamples` times, and takes the
 * percentiles of the mean paired difference a − b: users stay paired, so
 * what varies is which users were drawn, not how hard each one is.
 */
export function pairedBootstrap(a: ArrayLike<number>, b: ArrayLike<number>, options: BootstrapOptions = DEFAULT_BOOTSTRAP): BootstrapInterval {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`paired bootstrap needs equal lengths, got ${n} and ${b.length}`);
  const diff = Float64Array.from({ length: n }, (_, u) => a[u]! - b[u]!);
  const lead = n ? diff.reduce((s, d) => s + d, 0) / n : 0;
  const uniform = mulberry32(options.seed);
  const means = new Float64Array(options.resamples);
  for (let r = 0; r < options.resamples; r++) {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += diff[Math.floor(uniform() * n)]!;
    means[r] = n ? sum / n : 0;
  }
  means.sort();
  const tail = (1 - options.confidence) / 2;
  const at = (q: number) => means[Math.min(means.length - 1, Math.max(0, Math.floor(q * means.length)))] ?? 0;
  return { lead, lo: at(tail), hi: at(1 - tail), confidence: options.confidence, resamples: options.resamples, seed: options.seed };
}

/** One step of the choice: a challenger against the order chosen so far. */
export interface OrderDuel {
  challenger: RankingOrder;
  incumbent: RankingOrder;
  interval: BootstrapInterval;
  /** The challenger took over: its lead's lower bound is above 0. */
  won: boolean;
}

export interface OrderChoice {
  order: RankingOrder;
  /** Mean nDCG@10 of each contender on the validation users. */
  ndcgAt10: Partial<Record<RankingOrder, number>>;
  users: number;
  duels: OrderDuel[];
}

/**
 * Ship only what wins by more than noise. `contenders` come simplest
 * first (the light order, then the best single source, then the heavy
 * model); the first is the default, and each later one replaces the order
 * chosen so far only when the whole bootstrap interval of its paired lead
 * lies above zero. A model that merely ties the light order never ships.
 */
export function chooseOrder(contenders: readonly OrderScores[], options: BootstrapOptions = DEFAULT_BOOTSTRAP): OrderChoice {
  if (contenders.length === 0) throw new RangeError("chooseOrder needs at least one contender");
  let chosen = contenders[0]!;
  const duels: OrderDuel[] = [];
  for (const challenger of contenders.slice(1)) {
    const interval = pairedBootstrap(challenger.perUser, chosen.perUser, options);
    const won = interval.lo > 0;
    duels.push({ challenger: challenger.order, incumbent: chosen.order, interval, won });
    if (won) chosen = challenger;
  }
  return {
    order: chosen.order,
    ndcgAt10: Object.fromEntries(contenders.map((c) => [c.order, mean(c.perUser)])),
    users: contenders[0]!.perUser.length,
    duels,
  };
}

/** One line per duel, for the build log and the eval report. */
export function describeChoice(choice: OrderChoice): string[] {
  const f = (x: number) => x.toFixed(4);
  return [
    ...choice.duels.map(
      (d) =>
        `${d.challenger} vs ${d.incumbent}: lead ${f(d.interval.lead)} nDCG@10, ${Math.round(d.interval.confidence * 100)}% CI [${f(d.interval.lo)}, ${f(d.interval.hi)}] over ${choice.users} users -> ${d.won ? "takes over" : "stays out"}`,
    ),
    `order served: ${choice.order}`,
  ];
}
