import { describeTransform, transformGrid, type WeightTransform } from "../data/weights";
import { type IalsOptions } from "../train/implicit-als";
import { type InteractionTable, selectRows } from "../train/interaction-table";
import { evaluateRecommender } from "./evaluate";
import { IalsRecommender } from "./ials-recommender";
import { TEST } from "./msr-split";
import { type ProtocolName } from "./protocols";
import { validationMask } from "./validation-split";

/** The weighting chosen, and every candidate's validation nDCG@10. */
export interface WeightingChoice {
  transform: WeightTransform;
  trials: { transform: string; ndcgAt10: number }[];
}

/**
 * How a ratings table's rows should weigh in iALS and the funnel's fold-in,
 * chosen on the protocol's validation carve of the training rows (never the
 * test rows): each transform of the ratings grid (data/weights.ts) trains
 * iALS with `ials` on the fit rows, scored by nDCG@10 on the held-out rows;
 * the best wins, ties to the earlier.
 */
export async function chooseWeighting(
  train: InteractionTable,
  protocol: ProtocolName,
  ials: IalsOptions,
  randomCarveBecause?: string,
): Promise<WeightingChoice> {
  const mask = validationMask(train, protocol, randomCarveBecause);
  const fit = selectRows(train, mask, 0);
  const validation = selectRows(train, mask, TEST);
  const trials: WeightingChoice["trials"] = [];
  let best: { transform: WeightTransform; score: number } | null = null;
  for (const transform of transformGrid("ratings", [])) {
    const score = (await evaluateRecommender(new IalsRecommender(ials, transform), fit, validation)).metrics.ndcgAtK;
    trials.push({ transform: describeTransform(transform), ndcgAt10: Math.round(score * 1e4) / 1e4 });
    if (!best || score > best.score) best = { transform, score };
  }
  return { transform: best!.transform, trials };
}
