import { SeededRandom } from "../../shared/seeded-random";
import { dimensionSpread } from "../lib/vectors";
import { readMovieLensLatest } from "../../index-builder/src/data/movielens";
import { trainIals } from "../../index-builder/src/train/train-ials";
import { padRows, servedDims } from "../../index-builder/src/build/imported-embeddings";
import { readVectorFile } from "../../index-builder/src/import/vector-file";

/** Vectors to index and the queries to run against them (maximum inner product). */
export interface AnnDataset {
  name: string;
  dims: number;
  /** Size n*dims, row-major. */
  base: Float32Array;
  /** Size q*dims, row-major. */
  queries: Float32Array;
  /** Where the vectors come from, for the report. */
  source: string;
}

/** The demo data's trained implicit-ALS vectors (index-builder/src/train/train-ials.ts): items to index, users as queries. */
export async function demoDataset(dataDir: string): Promise<AnnDataset> {
  const embeddings = trainIals(await readMovieLensLatest(dataDir));
  return {
    name: "demo-items",
    dims: embeddings.dims,
    base: embeddings.itemVectors,
    queries: embeddings.userVectors,
    source: `ml-latest-small iALS (${embeddings.dims} dims): ${embeddings.itemIds.length} item vectors, ${embeddings.userIds.length} user vectors as queries`,
  };
}

/**
 * The issue's synthetic set: each of n vectors is a random trained item
 * vector plus Gaussian noise of `noise` x that dimension's standard deviation
 * across items, from a fixed seed, so that the set is the same on every run
 * and cannot be made easy. Queries stay the trained user vectors.
 */
export function syntheticDataset(demo: AnnDataset, n: number, options: { seed: number; noise: number }): AnnDataset {
  const { dims, base: items } = demo;
  const count = items.length / dims;
  const sigma = Float32Array.from(dimensionSpread(items, dims), (s) => options.noise * s);
  const random = new SeededRandom(options.seed);
  const base = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) {
    const row = random.int(count);
    for (let d = 0; d < dims; d++) base[i * dims + d] = items[row * dims + d]! + sigma[d]! * random.gaussian();
  }
  return {
    name: `synthetic-${n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`}`,
    dims,
    base,
    queries: demo.queries,
    source: `${n} x ${dims}: random demo item vector + N(0, (${options.noise} x per-dimension std)^2), seed ${options.seed}; queries: ${demo.queries.length / dims} demo user vectors`,
  };
}

/**
 * Vectors trained elsewhere, read as `build --item-vectors` reads them
 * (Parquet as Spark ALS writes itemFactors, or a structured .npy): items to
 * index, the user file's vectors as queries (without one, 1,000 item vectors
 * drawn with a fixed seed). Dimensions are zero-padded to a multiple of 16
 * as the build pads them.
 */
export async function fileDataset(itemFile: string, userFile: string | undefined): Promise<AnnDataset> {
  const items = await readVectorFile(itemFile);
  const users = userFile ? await readVectorFile(userFile) : null;
  if (users && users.dims !== items.dims) throw new Error(`${userFile}: ${users.dims} dims, the item vectors have ${items.dims}`);
  const dims = servedDims(items.dims);
  let queries: Float32Array;
  if (users) queries = padRows(users.vectors, items.dims, dims);
  else {
    const random = new SeededRandom(7);
    const count = items.ids.length;
    const picked = Array.from({ length: Math.min(1000, count) }, () => random.int(count));
    queries = padRows(Float32Array.from(picked.flatMap((i) => Array.from(items.vectors.subarray(i * items.dims, (i + 1) * items.dims)))), items.dims, dims);
  }
  return {
    name: "imported",
    dims,
    base: padRows(items.vectors, items.dims, dims),
    queries,
    source: `${itemFile}: ${items.ids.length} item vectors (${items.dims} dims${dims !== items.dims ? `, padded to ${dims}` : ""}), ${users ? `${users.ids.length} user vectors from ${userFile}` : "1000 sampled item vectors"} as queries`,
  };
}
