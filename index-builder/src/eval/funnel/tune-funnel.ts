import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { foldInUser } from "../../../../shared/embeddings/fold-in";
import { type Candidate } from "../../../../shared/ranking/candidate";
import { DEFAULT_LIGHT_WEIGHTS, type LightWeights } from "../../../../shared/ranking/light-rank";
import { type RankerModel } from "../../../../shared/ranking/ranker-model";
import { loadNodeKernel } from "../../ann/node-kernel";
import { DEFAULT_MLP_TRAINING, type MlpTrainOptions } from "../../ranker/train-mlp";
import { treeTraining } from "../../ranker/train-heavy";
import { type TreeTrainOptions } from "../../ranker/train-trees";
import { buildCovisitation, type CovisitOptions, DEFAULT_COVISIT } from "../../train/covisitation";
import { trainImplicitAls } from "../../train/implicit-als";
import { selectRows } from "../../train/interaction-table";
import { type RowWeighting, weighTable } from "../../data/weights";
import { userItemMatrix } from "../../train/train-ials";
import { mulberry32 } from "../../train/seeded-random";
import { ML_100K_DIR, REPO_ROOT } from "../dataset-paths";
import { itemsByUser } from "../evaluate";
import { rankingMetrics } from "../metrics";
import { msrStratifiedSplit, TEST } from "../msr-split";
import { topK } from "../top-k";
import { loadSplit, type ProtocolName } from "../protocols";
import { MSR_COVISIT, MSR_IALS, TIME_COVISIT, TIME_IALS } from "../tuned-params";
import { validationMask } from "../validation-split";
import { type FunnelKnobs, SERVED_KNOBS } from "../../../../shared/funnel/knobs";
import { type FittedFunnel, fittedPorts, fitFunnel, gathered, servedEntries, type FunnelSpec } from "./funnel-fit";
import { funnelRankerRows, trainFunnelRanker } from "./funnel-ranker";
import { heldOutRecall, retrievalStats } from "./retrieval-stats";

/** One point of the grid: candidate-side overrides, ranking overrides, and the heavy ranker's training (null: light only). */
interface Variant {
  label: string;
  recentLimit?: number;
  /** Co-visitation list overrides (e.g. {"similarity":"ease","easeRegularization":300,"topN":200}). */
  covisit?: Partial<CovisitOptions>;
  knobs?: Partial<Pick<FunnelKnobs, "ann">> & { quota?: Partial<FunnelKnobs["quota"]> };
  light?: Partial<LightWeights> & { source?: Partial<LightWeights["source"]> };
  mmrLambda?: number;
  heavyTopN?: number;
  training?: Partial<MlpTrainOptions> | null;
  /** LambdaMART oblivious trees instead of the MLP (train-trees.ts options; priorWeight: start from the light rank). */
  trees?: Partial<Omit<TreeTrainOptions, "prior">> & { priorWeight?: number };
  /** Reference instead of the funnel: exact scoring of every unseen item by the folded-in vector. */
  exact?: boolean;
}

/**
 * Scores funnel variants on validation rows carved from the training split
 * only (validation-split.ts): the funnel is fitted on the rest, the heavy
 * ranker trains on half of the validation users' requests (seeded) and
 * every variant is scored by nDCG@10 on the other half (`--score train`: on
 * the training half, `all`: on every validation user). Test rows are never
 * read. `--grid` is a JSON array of variants.
 *
 *   npx tsx index-builder/src/eval/funnel/tune-funnel.ts --protocol msr [--weighting stars] [--score held|train|all] --grid '[{"label":"served"}]'
 */
async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dataset: { type: "string" },
      protocol: { type: "string" },
      grid: { type: "string" },
      weighting: { type: "string" },
      score: { type: "string" },
      carves: { type: "string" },
    },
  });
  // The rows' weighting as npm run eval chooses it (choose-weighting.ts): binary, stars or rating.
  const weighting: RowWeighting = values.weighting === "stars" || values.weighting === "rating" ? { kind: values.weighting, ratingMax: 5 } : "binary";
  const protocol: ProtocolName = values.protocol === "time" ? "time" : "msr";
  const split = await loadSplit(resolve(values.dataset ?? (protocol === "msr" ? ML_100K_DIR : resolve(REPO_ROOT, "data", "ml-latest-small"))), protocol);
  // --carves 0.9:7,0.9:8 (msr only): stratified carves at those ratios and seeds instead of the
  // protocol's one; the grid runs on each and a last line per label gives the mean over the carves.
  const carves = values.carves === undefined ? [null] : values.carves.split(",").map((c) => c.split(":").map(Number) as [number, number]);
  if (carves[0] !== null && protocol !== "msr") throw new Error("--carves is for the msr protocol's stratified carve");
  const means = new Map<string, number[]>();
  for (const carve of carves) {
    const mask = carve === null ? validationMask(split.train, protocol) : msrStratifiedSplit(split.train, carve[0], carve[1]);
    for (const [label, ndcg] of await scoreGrid(split, protocol, mask, weighting, values, carve === null ? "protocol" : carve.join(":")))
      means.set(label, [...(means.get(label) ?? []), ndcg]);
  }
  if (carves.length > 1)
    for (const [label, ndcgs] of means)
      console.log(JSON.stringify({ label, carves: ndcgs.length, mean_valid_ndcg_at_10: round(ndcgs.reduce((a, b) => a + b, 0) / ndcgs.length), each: ndcgs }));
}

async function scoreGrid(
  split: Awaited<ReturnType<typeof loadSplit>>,
  protocol: ProtocolName,
  mask: Uint8Array,
  weighting: RowWeighting,
  values: { grid?: string; score?: string },
  carveLabel: string,
): Promise<[string, number][]> {
  const results: [string, number][] = [];
  const fitRows = selectRows(split.train, mask, 0);
  const validRows = selectRows(split.train, mask, TEST);
  const ials = protocol === "msr" ? MSR_IALS : TIME_IALS;
  const covisitOptions = protocol === "msr" ? MSR_COVISIT : TIME_COVISIT;
  const factors = trainImplicitAls(userItemMatrix(weighTable(fitRows, weighting)), ials);
  const covisit = buildCovisitation(fitRows, { ...DEFAULT_COVISIT, ...covisitOptions });
  const truthDense = itemsByUser(validRows);
  const truth = new Map([...truthDense].map(([u, items]) => [u, new Set([...items].map((i) => split.train.itemIds[i]!))]));
  const uniform = mulberry32(11);
  const users = [...truth.keys()].sort((a, b) => a - b);
  const isTrainUser = new Map(users.map((u) => [u, uniform() < 0.5]));
  // --score train: the ranker's training half instead (a light-only choice can be checked on both halves); all: every validation user.
  const scored = (u: number) => (values.score === "all" ? true : values.score === "train" ? isTrainUser.get(u) : !isTrainUser.get(u));
  const scoredTruth = new Map([...truthDense].filter(([u]) => scored(u)));
  const kernel = loadNodeKernel();
  const itemIndex = new Map(split.train.itemIds.map((id, i) => [id, i]));

  const fits = new Map<string, Awaited<ReturnType<typeof prepare>>>();
  async function prepare(spec: FunnelSpec, knobs: FunnelKnobs, own: boolean) {
    const fitted = fitFunnel(fitRows, split.items, spec, { factors, covisit: own ? null : covisit });
    const ports = fittedPorts(fitted, kernel, null);
    const candidates = new Map<number, Candidate[]>();
    for (const u of users) candidates.set(u, (await gathered(fitted, ports, u, knobs))?.candidates ?? []);
    return { fitted, retrieval: retrievalStats(fitted, candidates), heldOut: heldOutRecall(candidates, truth) };
  }
  const grid = JSON.parse(values.grid ?? '[{"label":"served"}]') as Variant[];
  for (const v of grid) {
    const spec: FunnelSpec = { ials, covisit: { ...covisitOptions, ...v.covisit }, recentLimit: v.recentLimit ?? Infinity, weighting };
    const knobs: FunnelKnobs = {
      ...SERVED_KNOBS,
      quota: { ...SERVED_KNOBS.quota, ...v.knobs?.quota },
      ann: { ...SERVED_KNOBS.ann, ...v.knobs?.ann },
      light: { ...DEFAULT_LIGHT_WEIGHTS, ...v.light, source: { ...DEFAULT_LIGHT_WEIGHTS.source, ...v.light?.source } },
      heavyTopN: v.heavyTopN ?? SERVED_KNOBS.heavyTopN,
      heavy: false,
      policy: { explorationRate: 0, ...(v.mmrLambda !== undefined ? { mmrLambda: v.mmrLambda } : {}) },
    };
    const key = JSON.stringify([spec.recentLimit, knobs.quota, knobs.ann, v.covisit]);
    if (!fits.has(key)) fits.set(key, await prepare(spec, knobs, v.covisit !== undefined));
    const { fitted, retrieval, heldOut } = fits.get(key)!;
    let heavy: RankerModel | null = null;
    if (v.trees || (v.training !== null && v.training !== undefined)) {
      const rows = await funnelRankerRows(fitted, kernel, truth, knobs);
      const groups = rows.users.flatMap((u, g) => (isTrainUser.get(u) ? [g] : []));
      heavy = trainFunnelRanker(rows, v.trees ? treeTraining(v.trees) : { model: "mlp", mlp: { ...DEFAULT_MLP_TRAINING, ...v.training } }, groups);
    }
    const ports = fittedPorts(fitted, kernel, heavy);
    const lists = new Map<number, number[]>();
    for (const u of scoredTruth.keys()) {
      if (!fitted.sessions.has(u)) continue;
      if (v.exact) {
        lists.set(u, exactTop(fitted, u, 10));
        continue;
      }
      const entries = await servedEntries(fitted, ports, u, { ...knobs, heavy: heavy !== null }, 10);
      lists.set(
        u,
        entries.map((e) => itemIndex.get(e.itemId)!),
      );
    }
    const m = rankingMetrics(lists, scoredTruth, 10, split.train.itemIds.length);
    results.push([v.label, round(m.ndcgAtK)]);
    console.log(
      JSON.stringify({
        label: v.label,
        carve: carveLabel,
        valid_ndcg_at_10: round(m.ndcgAtK),
        valid_map: round(m.map),
        users: m.users,
        ann_recall_at_100: retrieval.annRecallAt100,
        candidates: retrieval.candidates,
        heldout_recall: heldOut.all,
        heldout_recall_by_source: heldOut.bySource,
      }),
    );
  }
  return results;
}

/** Exact scoring of every unseen item by the session's fold-in over the full model (dense item indices). */
function exactTop(fitted: FittedFunnel, user: number, k: number): number[] {
  const { session } = fitted.sessions.get(user)!;
  const { dims: d, itemIds, itemVectors, gram, params } = fitted.embeddings;
  const itemIndex = new Map(itemIds.map((id, i) => [id, i]));
  const recent = session.history.map((h) => ({ item: itemIndex.get(h.itemId)!, weight: h.weight }));
  const q = foldInUser({ dims: d, itemVectors, gram, params }, recent)!;
  const seen = new Set(session.seenItemIds);
  const scores = new Float64Array(itemIds.length);
  for (let i = 0; i < scores.length; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += q[j]! * itemVectors[i * d + j]!;
    scores[i] = seen.has(itemIds[i]!) ? -Infinity : s;
  }
  return topK(scores, k);
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
