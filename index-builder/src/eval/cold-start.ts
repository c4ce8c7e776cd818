import { cosine } from "../../../shared/ann/metric";
import { mkdir, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { contentVector } from "../../../shared/embeddings/content-vector";
import { readMovieLensLatest } from "../data/movielens";
import { DEFAULT_CONTENT, fitContentModel } from "../train/content-regression";
import { type IalsOptions } from "../train/implicit-als";
import { type InteractionTable, selectRows, tableFromRows } from "../train/interaction-table";
import { DEMO_IALS, trainIalsOnTable } from "../train/train-ials";
import { REPO_ROOT } from "./dataset-paths";
import { itemsByUser } from "./evaluate";
import { rankingMetrics, type RankingMetrics } from "./metrics";
import { Mt19937 } from "./mt19937";
import { DatasetMissingError } from "./protocols";
import { topK } from "./top-k";

/**
 * Cold-start items: can a brand-new item be retrieved through its content
 * vector? On ml-latest-small, 10% of the items with at least 5 ratings (MT19937
 * seed 42, one draw per item in id order) lose every interaction; iALS trains
 * on the rest; the content map (ridge λ chosen on a 90/10 split of the warm
 * items by mean cosine, never on cold items) places the cold items. Each user
 * who rated a cold item ranks all cold items by xᵤ·ŷᵢ, scored with the MS
 * metrics at k = 10. Rows: content vectors, a seeded random order, and the
 * oracle (the vectors iALS learns when it does see the cold items' rows).
 */
const COLD_FRACTION = 0.1;
const MIN_RATINGS = 5;
const RIDGES = [0.1, 1, 10, 100];

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { dataset: { type: "string" }, out: { type: "string" } } });
  const dir = resolve(values.dataset ?? resolve(REPO_ROOT, "data", "ml-latest-small"));
  const data = await readMovieLensLatest(dir).catch((err: unknown) => {
    throw new DatasetMissingError(`dataset not found or unreadable: ${dir}`, { cause: err });
  });
  const table = tableFromRows(
    data.interactions.map((x) => ({ userId: x.userId, itemId: x.itemId, value: 1, timestampSec: x.timestampMs / 1000 })),
    data.items.map((item) => item.itemId),
  );
  const byId = new Map(data.items.map((item) => [item.itemId, item]));
  const items = table.itemIds.map((id) => byId.get(id) ?? { itemId: id, title: id, categories: [], year: null, tags: [], available: true });
  const counts = new Uint32Array(table.itemIds.length);
  for (const i of table.items) counts[i]!++;
  const rng = new Mt19937(42);
  const cold = new Set<number>();
  for (let i = 0; i < counts.length; i++) if (rng.nextDouble() < COLD_FRACTION && counts[i]! >= MIN_RATINGS) cold.add(i);
  const mask = Uint8Array.from(table.items, (i) => (cold.has(i) ? 1 : 0));
  const warm = selectRows(table, mask, 0);
  const held = selectRows(table, mask, 1);
  const options: IalsOptions = { ...DEMO_IALS };
  const model = trainIalsOnTable(warm, options);
  const warmCounts = new Uint32Array(counts.length);
  for (const i of warm.items) warmCounts[i]!++;

  const ridge = chooseRidge(items, model.itemVectors, model.dims, warmCounts);
  const content = fitContentModel(items, model.itemVectors, model.dims, warmCounts, { ...DEFAULT_CONTENT, ridge });
  const coldList = [...cold].sort((a, b) => a - b);
  const contentVectors = new Float32Array(counts.length * model.dims);
  for (const i of coldList) contentVector(content, items[i]!, contentVectors.subarray(i * model.dims, (i + 1) * model.dims));
  const oracle = trainIalsOnTable(table, options);

  const rows = [
    { model: "content-vectors", ...rank(held, coldList, model.userVectors, contentVectors, model.dims) },
    { model: "random", ...rankRandom(held, coldList) },
    { model: "oracle-ials (saw the items)", ...rank(held, coldList, oracle.userVectors, oracle.itemVectors, model.dims) },
  ].map((r) => ({ ...r, metrics: round(r.metrics) }));
  const report = {
    dataset: dir.split("/").pop(),
    protocol: `cold items: ${coldList.length} items (${COLD_FRACTION * 100}% of items with >= ${MIN_RATINGS} ratings, MT19937 seed 42) lose all rows; users who rated one rank all cold items`,
    ridge,
    ials: options,
    rows,
  };
  const out = resolve(values.out ?? resolve(REPO_ROOT, "bench", "results"));
  await mkdir(out, { recursive: true });
  await writeFile(resolve(out, `eval-cold-start-${report.dataset}.json`), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`${coldList.length} cold items, ${held.users.length} held-out rows, ridge ${ridge}`);
  for (const r of rows)
    console.log(`${r.model.padEnd(28)} ndcg@10 ${r.metrics.ndcgAtK}  recall@10 ${r.metrics.recallAtK}  map ${r.metrics.map}  users ${r.metrics.users}`);
}

/** Ridge λ by mean cosine between fitted and trained vectors on a 90/10 split of the warm items. */
function chooseRidge(items: Parameters<typeof fitContentModel>[0], vectors: Float32Array, dims: number, counts: Uint32Array): number {
  const rng = new Mt19937(7);
  const fitCounts = Uint32Array.from(counts);
  const valid: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    if (counts[i]! >= DEFAULT_CONTENT.minInteractions && rng.nextDouble() < 0.1) {
      valid.push(i);
      fitCounts[i] = 0;
    }
  }
  let best = { ridge: RIDGES[0]!, cosine: -Infinity };
  for (const ridge of RIDGES) {
    const m = fitContentModel(items, vectors, dims, fitCounts, { ...DEFAULT_CONTENT, ridge });
    let sum = 0;
    for (const i of valid) sum += cosine(contentVector(m, items[i]!), vectors.subarray(i * dims, (i + 1) * dims));
    const mean = sum / Math.max(1, valid.length);
    console.log(`ridge ${ridge}: mean cosine on validation items ${mean.toFixed(4)}`);
    if (mean > best.cosine) best = { ridge, cosine: mean };
  }
  return best.ridge;
}

function rank(held: InteractionTable, coldList: number[], users: Float32Array, items: Float32Array, d: number): { metrics: RankingMetrics } {
  const relevant = itemsByUser(held);
  const lists = new Map<number, number[]>();
  const scores = new Float64Array(coldList.length);
  for (const u of relevant.keys()) {
    coldList.forEach((i, k) => {
      let s = 0;
      for (let j = 0; j < d; j++) s += users[u * d + j]! * items[i * d + j]!;
      scores[k] = s;
    });
    lists.set(
      u,
      topK(scores, 10).map((k) => coldList[k]!),
    );
  }
  return { metrics: rankingMetrics(lists, relevant, 10, coldList.length) };
}

function rankRandom(held: InteractionTable, coldList: number[]): { metrics: RankingMetrics } {
  const relevant = itemsByUser(held);
  const rng = new Mt19937(1);
  const lists = new Map<number, number[]>();
  const scores = new Float64Array(coldList.length);
  for (const u of [...relevant.keys()].sort((a, b) => a - b)) {
    for (let k = 0; k < scores.length; k++) scores[k] = rng.nextDouble();
    lists.set(
      u,
      topK(scores, 10).map((k) => coldList[k]!),
    );
  }
  return { metrics: rankingMetrics(lists, relevant, 10, coldList.length) };
}

function round(m: RankingMetrics): RankingMetrics {
  const r6 = (x: number) => Math.round(x * 1e6) / 1e6;
  return { map: r6(m.map), ndcgAtK: r6(m.ndcgAtK), precisionAtK: r6(m.precisionAtK), recallAtK: r6(m.recallAtK), coverage: r6(m.coverage), users: m.users };
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof DatasetMissingError ? `eval:cold-start: ${err.message}` : err);
  process.exitCode = 1;
});
