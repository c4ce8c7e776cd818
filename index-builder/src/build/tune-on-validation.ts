import { DEFAULT_LIGHT_WEIGHTS, type LightWeights } from "../../../shared/ranking/light-rank";
import { type CovisitLists } from "../../../shared/covisit/covisit-lists";
import { type Dataset } from "../data/movielens";
import { describeTransform, isCountKind, transformGrid, type WeightTransform } from "../data/weights";
import { describeCarve, soundCarve } from "../eval/carve-check";
import { CovisitRecommender } from "../eval/covisit-recommender";
import { evaluateRecommender, itemsByUser } from "../eval/evaluate";
import { IalsRecommender } from "../eval/ials-recommender";
import { TEST } from "../eval/msr-split";
import { buildCovisitation, type CovisitOptions, describeLists, windowHours } from "../train/covisitation";
import { type IalsFactors, type IalsOptions } from "../train/implicit-als";
import { type InteractionTable, selectRows } from "../train/interaction-table";
import { embeddingsOf, trainIalsOnTable } from "../train/train-ials";
import { choiceForReport, type TunedChoice, type TuningReport, type TuningTrial } from "./tuning-choice";
import { pairCounts, trainingTable } from "./training-table";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { ValidationLists } from "./validation-lists";
import { chooseLightPoint } from "./light-choice";
import { pairedBootstrap } from "../ranker/order-choice";
import { listNdcg, mean } from "../eval/metrics";

export interface TuneOptions {
  /**
   * Budget in CPU seconds of this process (user + system): another process
   * taking turns on the cores does not eat it, as it would a wall-clock one.
   * Contention for caches and memory still raises CPU time per trial: the
   * synthetic play log's 32-dim fit took 3.5 CPU s instead of 2.5 beside
   * another eval, the resumed walk had 15 s instead of 24-45 and stopped
   * short (served test nDCG@10 0.158695 instead of 0.162046). Figures meant
   * to be compared run alone. A stage stops at the first trial predicted
   * (from earlier trials of its kind) to end past its share (iALS 60%,
   * co-visitation the next 15%, light weights the rest; unspent time goes
   * back to the iALS walk). The light stage runs whole once started, so a
   * budget too small for it is overrun by its cost (30 s on the demo
   * ratings: 33 spent, about 10 of them the light stage).
   */
  budgetSeconds: number;
  /** Share of each user's rows held out for validation. */
  fraction: number;
  /** Seeds the random carve when time cannot carve. */
  seed: number;
  /**
   * Carve at random even where time could, for this reason: `npm run eval`
   * sets it when its test carve is random (validation must carve as test does).
   * A build leaves it unset: its future is what the time carve stands in for.
   */
  randomCarveBecause?: string;
  /** Validation users the light-weight comparison replays (an even spread). */
  lightUsers: number;
  /**
   * Recent events each replayed session folds in: the Worker's 50 for a
   * build; `npm run eval` passes the limit its own funnel rows replay with
   * (the whole history), so the weights are chosen under the replay they are scored by.
   */
  recentLimit?: number;
  log: (line: string) => void;
  /** Seconds spent so far, for tests; by default this process's CPU time since the call. */
  clock?: () => number;
}

/** The training rows tuning carves, under any weight transform, and the catalogue. */
export interface TuningData {
  /** The rows weighed by `transform`; every call returns the same rows in the same order. */
  tableOf(transform: WeightTransform): InteractionTable;
  /** Transforms to try; the first is the kind's default. */
  transforms: WeightTransform[];
  items: readonly CatalogItem[];
}

/** A dataset's rows as tuning takes them (build/training-table.ts), with its kind's transform grid. */
export function datasetTuningData(dataset: Dataset): TuningData {
  const kind = dataset.weightKind ?? "ratings";
  return {
    tableOf: (transform) => trainingTable(dataset, transform),
    transforms: transformGrid(kind, isCountKind(kind) ? pairCounts(dataset) : [], dataset.ratingMax),
    items: dataset.items,
  };
}

/**
 * The budget lets the whole walk finish on a log of the unseen play log's shape (1.9k users, 17.6k items: the
 * synthetic log's full walk, iALS trials, co-visitation with three DLAE trials and the light stage, took 216-231 CPU s here), with room for a
 * slower machine. At 240 the walk was cut, and where it was cut moved with the machine's speed: served test
 * nDCG@10 0.162046 in one run and 0.157384 in another of the same code, 0.162159 uncut (npm run bench:plays-proxy
 * -- --synthetic). The demo ratings' walk (610 users, 9.7k items) took 317 CPU s (npm run index-builder -- build, with
 * the DLAE trials; 388 before the size skip and trial gating, when its 60% share cut the iALS walk and the later
 * stages' leftover finished it): it settles on 128 dims, at 15-17 CPU s a trial there.
 * 480 was the default until the demo's walk was timed by stage (2026-12-05, npm run index-builder -- build --out
 * DIR, 312 CPU s in all): its iALS trials end 253.5 CPU s in, against the 288 (60% of 480) by which that stage must
 * have started its last trial, so a machine 15-20% slower cuts the walk short and may build another index from the
 * same data. At 900 the iALS stage had until 540 s, twice the walk; a walk that ends sooner costs no more, as tuning
 * stops when the grid is done.
 * 1200 since each transform that loses the first walk walks its own α and λ (2026-12-06): the demo build tuned in
 * 581 CPU s (npm run index-builder -- build --out DIR, with an eval running beside it, which raises CPU per trial), its
 * iALS walk uncut within 540; the synthetic play log's eval tuned in 343. The iALS stage now has until 720 s.
 */
export const DEFAULT_TUNE: Omit<TuneOptions, "log"> = { budgetSeconds: 1200, fraction: 0.2, seed: 7, lightUsers: 2000 };

/** The build's `tune` option for a budget of CPU s: 0 builds untuned. */
export function tuneBudget(seconds: number): { budgetSeconds: number } | false {
  return seconds === 0 ? false : { budgetSeconds: seconds };
}

/** A `--tune-seconds` value, checked. */
export function parseTuneSeconds(text: string): number {
  const seconds = Number(text);
  if (!(seconds >= 0)) throw new Error("--tune-seconds must be a number >= 0");
  return seconds;
}

/** Share of the budget by which each stage must have started its last trial. */
const STAGE_SHARES = { ials: 0.6, covisit: 0.15 };
/**
 * Item-vector sizes tried. The Worker folds a user in with a dims×dims solve
 * per request (about 0.5 ms at 64, bench/eval-fold-in.ts), so sizes past
 * SERVING_DIMS must win on validation by more than noise (earnsItsSize).
 */
const DIMS_GRID = [32, 64, 128];
const SERVING_DIMS = 64;
const MIN_USERS_GRID = [2, 5, 10, 20, 50];
const HALF_LIFE_DAYS_GRID = [30, 365];
/** Session windows tried for co-visitation pairs (covisitation.ts windowSec), in hours: one sitting, one day. */
const WINDOW_HOURS_GRID = [1, 24];
/**
 * DLAE lists (Steck 2020; train/ease.ts) are fitted on at most this many
 * items, those most users met; a larger catalogue's other items get no list.
 * One dense inverse, O(n³): dlaeWeights took 3 CPU s at 1,700 items and 28
 * at 3,000 on this VM. On the demo's time validation a head of 2,000 scored
 * as one of 3,000 (docs/movielens-hand-tuning.md, TIME_FUNNEL). On the synthetic play log
 * (npm run bench:plays-proxy -- --synthetic; 16.2k items, the 2,000 most met
 * hold 49.5% of the rows) a head of 3,000: co-visitation validation 0.1311
 * against 0.1301, served test nDCG@10 0.162379 against 0.162469, tuning 306
 * CPU s against 226. Measured and not kept there: the items outside the head
 * given Jaccard lists, head lists gaining their Jaccard neighbours outside it
 * (scaled onto DLAE's weights by least squares over the pairs both hold): at
 * ≥ 5 users per pair 39 more items with a list, validation 0.1301 (equal),
 * served 0.162433; at ≥ 2 users 8,166 items with a list, validation 0.1287.
 */
export const DLAE_HEAD_ITEMS = 2000;
/** Input-dropout probabilities tried, best-known first (on ML-100K p 0.33-0.67 and λ 100-500 scored within noise). */
const DLAE_DROPOUT_GRID = [0.5, 0.25, 0.75];
/** λ of the DLAE lists, in co-occurrence counts; the dropout's popularity-scaled penalty does most of the regularising. */
const DLAE_REGULARIZATION = 300;
/** Neighbours kept per item in DLAE lists: a dense model cut to lists keeps more of its mass in longer ones. */
const DLAE_TOP_N = 200;
const LIGHT_COVISIT = [0, 0.05, 0.1, 0.25, 0.5];
const LIGHT_POPULARITY = [0, 0.01, 0.03];
const LIGHT_CONTENT = [0, 0.05];

/** The DLAE lists the co-visitation stage tries after `best`'s Jaccard grid: over every item, or the DLAE_HEAD_ITEMS most met. */
export function dlaeCandidates(best: CovisitOptions, items: number): CovisitOptions[] {
  const head = items > DLAE_HEAD_ITEMS ? { dlaeHead: DLAE_HEAD_ITEMS } : {};
  return DLAE_DROPOUT_GRID.map((dlaeDropout) => ({
    ...best,
    similarity: "dlae",
    dlaeDropout,
    easeRegularization: DLAE_REGULARIZATION,
    topN: DLAE_TOP_N,
    ...head,
  }));
}

/**
 * Picks the build's knobs on a validation carve of its own training data
 * (each user's most recent 20%, or a seeded random 20% when time cannot
 * carve: eval/carve-check.ts), within a time budget, starting from `start`:
 * 1. iALS: the weight transform (for count kinds: log at several ε, binary;
 *    for ratings: stars, binary), α, λ and dims, one knob at a time, each
 *    step keeping the best (coordinate ascent on validation nDCG@10 of exact
 *    iALS scores), in passes with steps of 2 and 4; then each transform that
 *    did not win walks its own α and λ the same way from the best point;
 *    then passes with steps of √2 for α, λ and dims around the best of all;
 * 2. co-visitation: support threshold, decay half-life and session window
 *    (the gap between a pair's two interactions), scored as a recommender of its own;
 * 3. light weights: the funnel's candidates for validation users replayed
 *    offline once, then every grid point orders them; the best point
 *    replaces the ANN order only when its lead, cross-fitted over two halves
 *    of the users, holds under a paired bootstrap (light-choice.ts);
 * 4. budget the co-visitation and light stages left unspent resumes an
 *    iALS walk its share of the budget cut, keeping back what a second light
 *    stage costs; a better iALS point then re-tunes the light weights.
 * An unsound carve (too few users, mostly unseen items) keeps `start`,
 * loudly. Nothing here is specific to a dataset: grids are relative to the
 * start point or to the data's own quantiles.
 */
export async function tuneOnValidation(data: TuningData, start: TunedChoice, options: TuneOptions): Promise<{ choice: TunedChoice; report: TuningReport }> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const elapsed =
    options.clock ??
    (() => {
      const { user, system } = process.cpuUsage(cpu0);
      return (user + system) / 1e6;
    });
  const { log } = options;
  const base = data.tableOf(start.transform);
  const { mask, report: carve } = soundCarve(base, options.fraction, options.seed, options.randomCarveBecause);
  log(describeCarve("tuning validation", carve));
  const trials: TuningTrial[] = [];
  const report = (
    choice: TunedChoice,
    skipped: string | null,
    startScores: TuningReport["start"],
    best: TuningReport["best"],
    budgetCut: boolean,
    lightCheck: TuningReport["lightCheck"] = null,
  ): TuningReport => ({
    carve,
    skipped,
    budgetSeconds: options.budgetSeconds,
    spentSeconds: round(elapsed()),
    wallSeconds: round((performance.now() - wall0) / 1000),
    budgetCut,
    start: startScores,
    best,
    trials,
    lightCheck,
    choice: choiceForReport(choice),
  });
  const none = { ials: 0, covisit: 0, light: 0 };
  if (carve.problems.length > 0) {
    const why = `validation carve unsound (${carve.problems.join("; ")})`;
    log(`WARNING: tuning skipped: ${why}; the build keeps its start point`);
    return { choice: start, report: report(start, why, none, none, false) };
  }
  // Each stage has a share of the budget, so a slow iALS cannot starve the cheap light grid; what the later
  // stages leave unspent goes back to the iALS walk (step 4).
  let stageEnd = STAGE_SHARES.ials * options.budgetSeconds;
  let stageCut = false;
  // A trial starts only when it is predicted to end within its stage's share, from what trials of its kind cost
  // (ialsSeconds, covisitSeconds), so a walk overruns by a misprediction at most, not by a whole trial. The light stage, once
  // started (by 75% of the budget), runs whole: on the demo ratings at 30 s it took about 10 CPU s and tuning 33.
  const overBudget = (predictedSeconds = 0) => {
    if (elapsed() + predictedSeconds <= stageEnd) return false;
    stageCut = true;
    return true;
  };
  // CPU seconds of the latest iALS trial of each size (a fit of one size costs about the same at any α and λ), and
  // of the dearest co-visitation trial (its cost grows as the support threshold falls: on the demo ratings ≥ 2
  // users took 3.6 s, ≥ 50 0.8).
  const ialsSeconds = new Map<number, number>();
  let covisitSeconds = 0;
  /** An iALS point's key: trials, per-user scores and fitted factors are looked up by it. */
  const pointKey = (t: WeightTransform, o: IalsOptions) => JSON.stringify([t, o]);

  // Tables of every transform share rows (trainingTable keeps pair order), so one mask splits them all.
  const splits = new Map<string, { fit: InteractionTable; validation: InteractionTable }>();
  const splitOf = (transform: WeightTransform) => {
    const key = JSON.stringify(transform);
    let split = splits.get(key);
    if (!split) {
      const table = key === JSON.stringify(start.transform) ? base : data.tableOf(transform);
      split = { fit: selectRows(table, mask, 0), validation: selectRows(table, positiveHeldOut(table, mask), TEST) };
      splits.set(key, split);
    }
    return split;
  };
  const trial = async (stage: TuningTrial["stage"], params: TuningTrial["params"], run: () => number | Promise<number>): Promise<number> => {
    const t = performance.now();
    const ndcgAt10 = round(await run());
    trials.push({ stage, params, ndcgAt10, seconds: round((performance.now() - t) / 1000) });
    log(`tune ${stage}: ${JSON.stringify(params)} -> nDCG@10 ${ndcgAt10.toFixed(4)}`);
    return ndcgAt10;
  };

  // 1. Weight transform and iALS.
  // Per-user validation nDCG@10 of every iALS trial, for the paired comparison a costlier size must win.
  const perUserIals = new Map<string, Float64Array>();
  // The best point's fitted factors: the light stage replays the funnel over this very model (same rows, options
  // and seed), so it takes them instead of fitting it again (on the demo ratings a 128-dim fit is 17 CPU s).
  let bestFactors: { key: string; factors: IalsFactors } | null = null;
  let lastFactors: IalsFactors | null = null;
  const scoreIals = async (transform: WeightTransform, ials: IalsOptions) => {
    const { fit, validation } = splitOf(transform);
    const cpu = elapsed();
    const score = await trial(
      "ials",
      { transform: describeTransform(transform), dims: ials.dims, alpha: ials.alpha, regularization: ials.regularization },
      async () => {
        const model = new IalsRecommender(ials, "values");
        const result = await evaluateRecommender(model, fit, validation);
        perUserIals.set(pointKey(transform, ials), perUserNdcg(result.lists, itemsByUser(validation)));
        lastFactors = model.factors;
        return result.metrics.ndcgAtK;
      },
    );
    ialsSeconds.set(ials.dims, elapsed() - cpu);
    return score;
  };
  /** The point just scored becomes the best, with its fitted factors. */
  const takeAsBest = (score: number, t: WeightTransform, o: IalsOptions) => {
    [bestIals, transform, ials] = [score, t, o];
    bestFactors = { key: pointKey(t, o), factors: lastFactors! };
  };
  /** A size past SERVING_DIMS costs every request CPU: it replaces a cheaper best only when its lead holds under the paired bootstrap. */
  const earnsItsSize = (candidate: IalsOptions, key: string): boolean => {
    if (candidate.dims <= SERVING_DIMS || ials.dims > SERVING_DIMS) return true;
    const interval = pairedBootstrap(perUserIals.get(key)!, perUserIals.get(pointKey(transform, ials))!);
    log(
      `tune ials: ${candidate.dims} dims against ${ials.dims}: lead ${interval.lead.toFixed(4)}, 95% CI [${interval.lo.toFixed(4)}, ${interval.hi.toFixed(4)}] -> ${interval.lo > 0 ? "worth its fold-in cost" : "not beyond noise, keeps " + ials.dims}`,
    );
    return interval.lo > 0;
  };
  let transform = start.transform;
  let ials = start.ials;
  let bestIals = 0;
  // Validation nDCG@10 of every point scored, by pointKey.
  const scored = new Map<string, number>();
  const startIals = await scoreIals(transform, ials);
  scored.set(pointKey(transform, ials), startIals);
  takeAsBest(startIals, transform, ials);
  const tried = new Set([pointKey(transform, ials)]);
  // The first coarse passes walk every knob from the start point, the transforms compared at the point reached;
  // then each transform that did not win walks its own α and λ from the best point, since α and λ fit a
  // transform's scale; then the fine passes around the best of all. The first walk alone kept ML-100K's ratings
  // (the MSR split imported, validation a per-user random 20%) at "rating", α 1, λ 0.02 (0.2461), where
  // stars-as-confidence reaches 0.2507 (α 2, λ 0.02). Walking each transform alone, from the start point or from
  // the best so far, did worse elsewhere: on u.data's random split one from the best so far ended at 0.2702
  // (32 dims, α 0.09, λ 0.01) where the first walk reaches 0.278 (α 2.83, λ 0.02, 64 dims), and on the MSR split
  // one from the start reached 0.2497.
  const transforms = data.transforms;
  /** The transforms the first walk did not end on, walked one by one after it (fixed when it ends). */
  let others: WeightTransform[] = [];
  // Up to two coarse passes (factors of 2 and 4) per walk, then up to two fine ones (√2) around the best: validation nDCG
  // can peak sharply in λ (a factor of 2 either side of the best cost 0.012-0.024 on a play-count log).
  // The drop past the peak is the objective's, not a slow start: on the synthetic log of
  // bench/lib/synthetic-plays.ts (log(1 + count/103), α 2, 64 dims) λ 0.005 / 0.01 / 0.02 give validation
  // nDCG@10 0.1331 / 0.0796 / 0.0312 (popularity's level) with the 0.01 initialisation and 10 sweeps, and
  // 0.1334 / 0.0930 / 0.0314 from a 0.1 one (0.1335 / 0.0894 / 0.0314 from 0.3; 30 sweeps: λ 0.01 0.0945).
  // The walk can be cut by its share of the budget and resumed where it stopped (step 4): `segment`, `pass` and
  // `knobAt` say where.
  let segment = 0;
  let pass = 0;
  let knobAt = 0;
  /** The coarse passes' point in the current transform (the best found in it); null until a segment's start is scored. */
  let local: { transform: WeightTransform; ials: IalsOptions; score: number } | null = { transform, ials, score: startIals };
  let passBest = bestIals;
  // The knob's candidates as they were when the walk reached it: a walk cut in the middle of a knob resumes the
  // same list, not one recomputed around a best point that moved meanwhile, so it goes where an uncut walk goes.
  let knobList: [WeightTransform, IalsOptions][] | null = null;
  const skipsPastLoser = (t: WeightTransform, o: IalsOptions, best: IalsOptions): boolean =>
    beyondALoser(o.dims, best.dims, (d) => tried.has(pointKey(t, { ...o, dims: d })));
  /** Scores a point not tried yet (false: the budget stops the walk first); undefined when it was tried. */
  const tryPoint = async (t: WeightTransform, o: IalsOptions): Promise<number | undefined | false> => {
    const key = pointKey(t, o);
    if (tried.has(key)) return undefined;
    if (overBudget(ialsCost(ialsSeconds, o.dims))) return false;
    tried.add(key);
    const score = await scoreIals(t, o);
    scored.set(key, score);
    return score;
  };
  const walkIals = async (): Promise<boolean> => {
    while (pass < 4) {
      const coarse = pass < 2;
      if (coarse && local === null) {
        // A transform's own walk starts from the best α, λ and size of all.
        const t = others[segment - 1]!;
        const score = await tryPoint(t, ials);
        if (score === false) return false;
        local = { transform: t, ials, score: score ?? scored.get(pointKey(t, ials))! };
        if (score !== undefined && local.score > bestIals) takeAsBest(local.score, t, ials);
        passBest = local.score;
      }
      // Coarse passes move the walk's own point (in the first walk, the best of all); fine passes the best of all.
      const at = () => (coarse ? local! : { transform, ials });
      const steps = coarse ? [0.25, 0.5, 2, 4] : [Math.SQRT1_2, Math.SQRT2];
      const first = coarse && segment === 0;
      const knobs: (() => [WeightTransform, IalsOptions][])[] = [
        () => (first ? transforms.map((t) => [t, at().ials]) : []),
        () => steps.map((f) => [at().transform, { ...at().ials, alpha: roundKnob(at().ials.alpha * f) }]),
        () => steps.map((f) => [at().transform, { ...at().ials, regularization: roundKnob(at().ials.regularization * f) }]),
        // Sizes in the first walk and again in the fine passes (a larger size compared at the coarse α and λ may win at
        // the fine ones), not in a transform's own walk. Nearest sizes first, so a size beyond one that lost is skipped
        // (skipsPastLoser).
        () =>
          coarse && !first
            ? []
            : [...DIMS_GRID]
                .sort((a, b) => sizeDistance(a, at().ials.dims) - sizeDistance(b, at().ials.dims) || a - b)
                .map((dims) => [at().transform, { ...at().ials, dims }]),
      ];
      for (; knobAt < knobs.length; knobAt++, knobList = null) {
        knobList ??= knobs[knobAt]!();
        for (const [t, o] of knobList) {
          if (skipsPastLoser(t, o, at().ials)) continue;
          const score = await tryPoint(t, o);
          if (score === false) return false;
          if (score === undefined) continue;
          const key = pointKey(t, o);
          if (coarse && score > local!.score && earnsItsSize(o, key)) local = { transform: t, ials: o, score };
          if (score > bestIals && earnsItsSize(o, key)) takeAsBest(score, t, o);
        }
      }
      knobAt = 0;
      if (coarse) {
        // A coarse pass that found nothing, or the second, ends this walk; after the first, each other transform's; then
        // the fine passes.
        const found = local!.score > passBest;
        passBest = local!.score;
        if (found && pass === 0) pass = 1;
        else {
          if (segment === 0) others = transforms.filter((t) => JSON.stringify(t) !== JSON.stringify(transform));
          if (++segment <= others.length) [pass, local] = [0, null];
          else [pass, passBest] = [2, bestIals];
        }
      } else {
        // A fine pass that found nothing ends the walk.
        const found = bestIals > passBest;
        pass = found ? pass + 1 : 4;
        passBest = bestIals;
      }
    }
    return true;
  };
  let walked = await walkIals();
  stageCut = false; // `walked` keeps the walk's own cut
  const { fit, validation } = splitOf(transform);

  // 2. Co-visitation support and window; time decay only means something with timestamps.
  stageEnd = (STAGE_SHARES.ials + STAGE_SHARES.covisit) * options.budgetSeconds;
  const timed = carve.method === "time";
  const startLists: CovisitOptions = timed ? start.covisit : { ...start.covisit, halfLifeSec: Infinity };
  let covisit = startLists;
  let bestCovisit = 0;
  let startCovisit = 0;
  // The best lists so far with the table they were built on: the light stage replays the funnel over them (a DLAE
  // list is a dense inverse) instead of building them again.
  let covisitLists: { table: InteractionTable; lists: CovisitLists } | null = null;
  // Each point is scored once per stage: the grid below may hold the start point again.
  let triedCovisit = new Set<string>();
  // CPU seconds the whole stage took, to say whether a second one fits (step 4).
  let covisitStageSeconds = 0;
  // Scores `o` and keeps it, with its lists, when it beats the best so far (the first trial, the start point, always does).
  const tryCovisit = async (o: CovisitOptions, fit: InteractionTable, validation: InteractionTable) => {
    triedCovisit.add(JSON.stringify(o));
    const cpu = elapsed();
    const model = new CovisitRecommender(o);
    // A DLAE trial is logged by its own knobs: the Jaccard ones it carries over from the best so far do not apply to it.
    const params: TuningTrial["params"] =
      o.similarity === "dlae"
        ? { topN: o.topN, lists: describeLists(o) }
        : {
            topN: o.topN,
            minUsers: o.minUsers,
            halfLifeDays: Number.isFinite(o.halfLifeSec) ? o.halfLifeSec / 86_400 : "none",
            windowHours: windowHours(o) ?? "none",
          };
    const score = await trial("covisit", params, async () => {
      const ndcg = (await evaluateRecommender(model, fit, validation)).metrics.ndcgAtK;
      // How many items have a list at all (the related surface's reach), logged with the trial.
      params.itemsWithList = listedItems(model.lists!);
      return ndcg;
    });
    covisitSeconds = Math.max(covisitSeconds, elapsed() - cpu);
    if (covisitLists === null || score > bestCovisit) [bestCovisit, covisit, covisitLists] = [score, o, { table: fit, lists: model.lists! }];
    return score;
  };
  // The lists are scored on the chosen transform's rows (its weights are what DLAE fits), so a walk that changes the
  // transform afterwards runs this stage again (step 4).
  const covisitStage = async (fit: InteractionTable, validation: InteractionTable) => {
    const t0 = elapsed();
    [covisit, bestCovisit, covisitLists, triedCovisit] = [startLists, 0, null, new Set()];
    startCovisit = overBudget() ? 0 : await tryCovisit(covisit, fit, validation);
    const covisitGrid: CovisitOptions[] = [
      ...MIN_USERS_GRID.map((minUsers) => ({ ...covisit, minUsers })),
      ...(timed ? HALF_LIFE_DAYS_GRID.map((d) => ({ ...covisit, halfLifeSec: d * 86_400 })) : []),
    ];
    for (const o of covisitGrid) {
      if (overBudget(covisitSeconds) || triedCovisit.has(JSON.stringify(o))) continue;
      await tryCovisit(o, fit, validation);
    }
    // The session window on top of the best support and decay (timestamps only).
    for (const hours of timed ? WINDOW_HOURS_GRID : []) {
      if (overBudget(covisitSeconds)) continue;
      await tryCovisit({ ...covisit, windowSec: hours * 3600 }, fit, validation);
    }
    // Linear-autoencoder lists (DLAE, train/ease.ts; over the most-met head of a large catalogue): they compete
    // as co-visitation lists like the rest, and the light stage then weighs whichever won.
    for (const o of dlaeCandidates(covisit, fit.itemIds.length)) {
      if (overBudget(covisitSeconds)) break;
      await tryCovisit(o, fit, validation);
    }
    covisitStageSeconds = elapsed() - t0;
  };
  await covisitStage(fit, validation);

  // 3. Light weights over the replayed candidates of validation users: once gathered, the whole grid (cheap: no training).
  const tuneLight = async (fit: InteractionTable, validation: InteractionTable) => {
    const lists = await ValidationLists.gather(
      fit,
      itemsByUser(validation),
      data.items,
      bestFactors?.key === pointKey(transform, ials) ? embeddingsOf(fit, bestFactors.factors, ials) : trainIalsOnTable(fit, ials),
      covisitLists?.table === fit ? covisitLists.lists : buildCovisitation(fit, covisit),
      options.lightUsers,
      options.recentLimit,
    );
    const references = { ann: round(lists.ndcgOfSource("ann")), popularity: round(lists.ndcgOfSource("popularity")) };
    trials.push({ stage: "light", params: { reference: "ann order" }, ndcgAt10: references.ann, seconds: 0 });
    trials.push({ stage: "light", params: { reference: "popularity order" }, ndcgAt10: references.popularity, seconds: 0 });
    log(`tune light: ${lists.users} validation users; ANN order ${references.ann.toFixed(4)}, popularity order ${references.popularity.toFixed(4)}`);
    // Every grid point scored per user; the best ships only if its lead over the ANN order survives cross-fitting.
    const grid = [start.light, ...lightGrid().filter((w) => JSON.stringify(w) !== JSON.stringify(start.light))];
    const perUser: Float64Array[] = [];
    for (const w of grid) {
      const row = lists.perUserOfLight(w);
      perUser.push(row);
      await trial("light", lightParams(w), () => mean(row));
    }
    const baseline = grid.findIndex(isAnnOnly);
    const picked = chooseLightPoint(perUser, baseline, options.seed);
    const check: NonNullable<TuningReport["lightCheck"]> = {
      baseline: lightParams(grid[baseline]!),
      best: lightParams(grid[picked.best]!),
      bestNdcgAt10: round(mean(perUser[picked.best]!)),
      baselineNdcgAt10: round(mean(perUser[baseline]!)),
      crossFittedLead: round(picked.crossFitted.lead),
      lo: round(picked.crossFitted.lo),
      hi: round(picked.crossFitted.hi),
      kept: picked.kept,
    };
    const best = round(mean(perUser[picked.chosen]!));
    log(
      `tune light: best ${JSON.stringify(check.best)} ${check.bestNdcgAt10.toFixed(4)} against the ANN order's ${check.baselineNdcgAt10.toFixed(4)}; ` +
        `cross-fitted lead ${check.crossFittedLead.toFixed(4)}, 95% CI [${check.lo.toFixed(4)}, ${check.hi.toFixed(4)}] over ${lists.users} users -> ` +
        (picked.kept ? "ships" : picked.best === baseline ? "the ANN order is best" : "not beyond noise: the light weights keep the ANN order"),
    );
    if (best < references.popularity)
      log(`WARNING: the best light order (${best.toFixed(4)}) is below popularity (${references.popularity.toFixed(4)}) on validation`);
    return { light: grid[picked.chosen]!, start: mean(perUser[0]!), best, check };
  };
  stageEnd = options.budgetSeconds;
  let light = start.light;
  let startLight = 0;
  let bestLight = 0;
  let lightCheck: TuningReport["lightCheck"] = null;
  let lightSeconds = 0;
  const lightStage = async (fit: InteractionTable, validation: InteractionTable) => {
    const t0 = elapsed();
    ({ light, start: startLight, best: bestLight, check: lightCheck } = await tuneLight(fit, validation));
    lightSeconds = elapsed() - t0;
  };
  const lightCut = overBudget();
  if (!lightCut) await lightStage(fit, validation);

  // 4. Budget the later stages left goes back to a cut iALS walk, up to what a second light stage would need; a
  // better iALS point re-tunes the light weights on its own candidates (co-visitation does not depend on it).
  if (!walked && !lightCut && elapsed() < options.budgetSeconds - 1.25 * lightSeconds) {
    stageEnd = options.budgetSeconds - 1.25 * lightSeconds;
    const before = { transform, ials, bestIals };
    log(`tune ials: resuming the walk with the ${Math.max(0, stageEnd - elapsed()).toFixed(0)} CPU s the later stages left`);
    walked = await walkIals();
    if (transform !== before.transform || ials !== before.ials) {
      stageEnd = options.budgetSeconds;
      const newRows = JSON.stringify(transform) !== JSON.stringify(before.transform);
      if (overBudget(lightSeconds + (newRows ? covisitStageSeconds : 0))) {
        log(`tune ials: no budget left to re-tune ${newRows ? "co-visitation and " : ""}the light weights on the new iALS point; keeping the earlier one`);
        ({ transform, ials, bestIals } = before);
      } else {
        // The earlier trials scored the earlier rows and candidates: the report keeps the ones that decided.
        const stale = new Set<string>(newRows ? ["covisit", "light"] : ["light"]);
        trials.splice(0, trials.length, ...trials.filter((t) => !stale.has(t.stage)));
        const split = splitOf(transform);
        if (newRows) await covisitStage(split.fit, split.validation);
        await lightStage(split.fit, split.validation);
      }
    }
  }
  const budgetCut = !walked || stageCut;
  if (budgetCut) log(`WARNING: the tuning budget (${options.budgetSeconds} CPU s) ran out before the grid's end; raise --tune-seconds to search further`);
  const choice: TunedChoice = { transform, ials, covisit, light };
  log(
    `tuned in ${elapsed().toFixed(1)} CPU s (${((performance.now() - wall0) / 1000).toFixed(1)} s wall): ${describeTransform(transform)}, iALS ${ials.dims} dims α ${ials.alpha} λ ${ials.regularization}; co-visitation ${describeLists(covisit)}; light ${JSON.stringify(lightParams(light))}`,
  );
  return {
    choice,
    report: report(
      choice,
      null,
      { ials: startIals, covisit: startCovisit, light: startLight },
      { ials: bestIals, covisit: bestCovisit, light: bestLight },
      budgetCut,
      lightCheck,
    ),
  };
}

/** Items with at least one neighbour in `lists`. */
function listedItems(lists: CovisitLists): number {
  let n = 0;
  for (let i = 0; i + 1 < lists.offsets.length; i++) if (lists.offsets[i + 1]! > lists.offsets[i]!) n++;
  return n;
}

/** The grid's simplest point: the ANN source's score alone (z-scored), every other offline term off. */
function isAnnOnly(w: LightWeights): boolean {
  return (
    w.normalize === "zscore" &&
    w.source.ann === 1 &&
    w.source.covisit === 0 &&
    w.source.content === 0 &&
    w.source.popular === 0 &&
    w.popularity === 0 &&
    w.affinity === 0
  );
}

/**
 * Whether the size `dims` lies beyond a size that lost: one strictly between it and the best's size `best`,
 * fitted at the same point (`fitted`), which did not become the best. Validation nDCG is taken as single-peaked in
 * the size, so such a size is not fitted: on the synthetic play log 64 dims lost to 32 at every point, and each
 * 128-dim trial skipped that way saves about 20 CPU s.
 */
export function beyondALoser(dims: number, best: number, fitted: (size: number) => boolean, grid: readonly number[] = DIMS_GRID): boolean {
  return dims !== best && grid.some((d) => (d - dims) * (d - best) < 0 && fitted(d));
}

/**
 * Predicted CPU seconds of an iALS trial at `dims`: the latest at that size, else the nearest size measured scaled
 * by the size ratio to the power 1.5 (a fit's cost grows between linearly, the conjugate-gradient products, and
 * quadratically, the Gramians, in the size; on the demo ratings a 32 / 64 / 128-dim trial costs 2.3 / 5.2 / 17.3 CPU s); 0 before any.
 */
export function ialsCost(secondsBySize: ReadonlyMap<number, number>, dims: number): number {
  const exact = secondsBySize.get(dims);
  if (exact !== undefined) return exact;
  let nearest: [number, number] | null = null;
  for (const [d, seconds] of secondsBySize) if (!nearest || sizeDistance(d, dims) < sizeDistance(nearest[0], dims)) nearest = [d, seconds];
  return nearest ? nearest[1] * (dims / nearest[0]) ** 1.5 : 0;
}

/** How far apart two sizes are, by ratio: 32 is as far from 64 as 128 is. */
function sizeDistance(a: number, b: number): number {
  return Math.abs(Math.log(a / b));
}

/** A knob to 3 significant digits, so √2 steps give readable values and revisit the same keys. */
function roundKnob(x: number): number {
  return Number(x.toPrecision(3));
}

/** Each validation user's nDCG@10, users in ascending order (the same users for every model scored on one carve). */
function perUserNdcg(lists: ReadonlyMap<number, number[]>, relevant: ReadonlyMap<number, ReadonlySet<number>>): Float64Array {
  const users = [...lists.keys()].sort((a, b) => a - b);
  return Float64Array.from(users, (u) => listNdcg(lists.get(u)!, relevant.get(u)!, 10));
}

/** The light grid: rank or z-score normalisation × co-visitation × popularity × content; ANN weight 1, the rest as the Worker's defaults. */
export function lightGrid(): LightWeights[] {
  const grid: LightWeights[] = [];
  for (const normalize of ["rank", "zscore"] as const) {
    for (const covisit of LIGHT_COVISIT) {
      for (const popularity of LIGHT_POPULARITY) {
        for (const content of LIGHT_CONTENT) {
          grid.push({
            ...DEFAULT_LIGHT_WEIGHTS,
            normalize,
            source: { ...DEFAULT_LIGHT_WEIGHTS.source, ann: 1, covisit, content, popular: 0 },
            popularity,
            affinity: 0,
          });
        }
      }
    }
  }
  return grid;
}

function lightParams(w: LightWeights): Record<string, number | string> {
  return {
    normalize: w.normalize ?? "rank",
    ann: w.source.ann,
    covisit: w.source.covisit,
    content: w.source.content,
    popular: w.source.popular,
    popularity: w.popularity,
    affinity: w.affinity,
  };
}

/** The carve's held-out rows that say "liked" (weight > 0) stay TEST; held-out dislikes are dropped (2), not fitted. */
function positiveHeldOut(table: InteractionTable, mask: Uint8Array): Uint8Array {
  return Uint8Array.from(mask, (m, r) => (m === TEST ? (table.values[r]! > 0 ? TEST : 2) : 0));
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
