import { mkdir, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { foldInUser } from "../shared/embeddings/fold-in";
import { DEMO_IALS } from "../index-builder/src/train/train-ials";
import { gramMatrix } from "../index-builder/src/train/implicit-als";
import { mulberry32, normalSource } from "../index-builder/src/train/seeded-random";

/**
 * Fold-in latency at serving size: dims 64, 50 history items, 10k-item
 * catalogue, the demo's loss parameters. Writes
 * bench/results/eval-fold-in.json and exits non-zero when the median is over
 * the budget (the Worker calls this once per request).
 */
const BUDGET_MS = 1;
const dims = 64;
const nItems = 10_000;
const normal = normalSource(mulberry32(11));
const itemVectors = new Float32Array(nItems * dims).map(() => normal() * 0.1);
const model = { dims, itemVectors, gram: Float32Array.from(gramMatrix(itemVectors, dims)), params: DEMO_IALS };
const history = Array.from({ length: 50 }, (_, k) => ({ item: (k * 197) % nItems, weight: 1 + (k % 4) }));
const out = new Float32Array(dims);
for (let i = 0; i < 500; i++) foldInUser(model, history, out);
const samples: number[] = [];
for (let rep = 0; rep < 31; rep++) {
  const t = performance.now();
  for (let i = 0; i < 200; i++) foldInUser(model, history, out);
  samples.push((performance.now() - t) / 200);
}
samples.sort((a, b) => a - b);
const result = { dims, history_items: history.length, median_ms: samples[15]!, p90_ms: samples[27]!, budget_ms: BUDGET_MS };
await mkdir(resolve(import.meta.dirname, "results"), { recursive: true });
await writeFile(resolve(import.meta.dirname, "results", "eval-fold-in.json"), `${JSON.stringify(result, null, 2)}\n`);
console.log(result);
if (result.median_ms > BUDGET_MS) {
  console.error(`fold-in median ${result.median_ms.toFixed(3)} ms is over the ${BUDGET_MS} ms budget`);
  process.exitCode = 1;
}
