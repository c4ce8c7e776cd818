import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeAnnHead } from "../../../shared/ann/ann-blobs";
import { ANN_BLOBS } from "../../../shared/ann/ann-manifest";
import { bruteForceSearch } from "../../../shared/ann/brute-force";
import { type InvertedList } from "../../../shared/ann/ivfpq-index";
import { searchIvfPq } from "../../../shared/ann/ivfpq-search";
import { decodeShard } from "../../../shared/ann/shard-format";
import { decodeItemTable, itemIdAt } from "../../../shared/catalog/item-table";
import { FUNNEL_BLOBS } from "../../../shared/index-format/funnel-section";
import { loadNodeKernel } from "../ann/node-kernel";
import { parseCsv } from "../data/csv";
import { type Dataset } from "../data/movielens";
import { parseId } from "../import/field-values";
import { npyBytes } from "../import/fixtures/write-npy";
import { sparkFactorsParquet } from "../import/fixtures/write-spark-parquet";
import { syntheticPlayLog } from "../import/fixtures/synthetic-play-log";
import { importDataset } from "../import/import-dataset";
import { readVectorFile } from "../import/vector-file";
import { mulberry32, normalSource } from "../train/seeded-random";
import { readBuiltVersion } from "../pipeline/load-version";
import { buildIndex } from "./build-index";
import { importedEmbeddings, type VectorImportReport } from "./imported-embeddings";
import { trainingTable } from "./training-table";
import { DEMO_IALS, trainIalsOnTable } from "../train/train-ials";

let dir = "";
let dataset: Dataset;
/** Raw item ids of the log (spaces, slashes, «»: rewritten by the import), and 24-dim vectors: 24 is no multiple of 16, so the build pads. */
const DIMS = 24;
let rawItemIds: string[] = [];
let itemVectors: Float32Array;
let userIds: string[] = [];
let userVectors: Float32Array;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "imported-vectors-"));
  const log = syntheticPlayLog({ users: 200, items: 1200, groups: 6, perUser: 8, seed: 5 });
  await writeFile(join(dir, "plays.csv"), log.interactionsCsv);
  await writeFile(join(dir, "tracks.csv"), log.itemsCsv);
  dataset = (await importDataset({ interactions: join(dir, "plays.csv"), items: join(dir, "tracks.csv"), kind: "plays" })).dataset;
  // Vectors as a trainer elsewhere might give: 30 clusters, a spread of norms (maximum inner product is not cosine).
  const normal = normalSource(mulberry32(9));
  const centers = Float32Array.from({ length: 30 * DIMS }, () => normal());
  const vectorsNear = (n: number) => {
    const out = new Float32Array(n * DIMS);
    for (let i = 0; i < n; i++) {
      const c = Math.floor(Math.abs(normal() * 1e6)) % 30;
      const scale = 0.5 + Math.abs(normal());
      for (let d = 0; d < DIMS; d++) out[i * DIMS + d] = scale * (centers[c * DIMS + d]! + 0.6 * normal());
    }
    return out;
  };
  // Every catalogue item, those without a play too: the imported vectors cover the whole catalogue.
  rawItemIds = parseCsv(log.itemsCsv).rows.map((row) => row[0]!);
  // Five ids the catalogue does not know: counted, left out.
  rawItemIds.push(...["gone-1", "gone-2", "gone-3", "gone-4", "gone-5"]);
  itemVectors = vectorsNear(rawItemIds.length);
  userIds = [...new Set(log.rows.map((r) => r.user))];
  userVectors = vectorsNear(userIds.length);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/**
 * Builds from vectors in one format and checks the served ANN against brute
 * force on the same vectors: the user vectors as queries, at the knobs the
 * build calibrated, recall@10 compared by item id.
 */
async function buildAndMeasure(format: "parquet" | "npy"): Promise<{ recallAt10: number; report: VectorImportReport; lines: string[] }> {
  const write = (name: string, ids: string[], vectors: Float32Array) =>
    writeFile(
      join(dir, `${name}.${format}`),
      new Uint8Array(format === "parquet" ? sparkFactorsParquet(ids, vectors, DIMS, 300) : npyBytes(ids, vectors, DIMS)),
    );
  await write("items", rawItemIds, itemVectors);
  await write("users", userIds, userVectors);
  const items = await readVectorFile(join(dir, `items.${format}`));
  const users = await readVectorFile(join(dir, `users.${format}`));
  const lines: string[] = [];
  const built = await buildIndex(dataset, join(dir, `index-${format}`), {
    vectors: { items, users, params: { alpha: 1, regularization: 0.1, regExponent: 0 } },
    log: (line) => lines.push(line),
    now: new Date("2026-12-01T00:00:00Z"),
  });
  const { manifest, blobs } = await readBuiltVersion(built.dir);
  const section = manifest.ann!;
  const kernel = loadNodeKernel();
  const head = decodeAnnHead(section, {
    centroids: blobs.get(ANN_BLOBS.centroids)!,
    codebooks: blobs.get(ANN_BLOBS.codebooks)!,
    sq8: blobs.get(ANN_BLOBS.sq8) ?? null,
  });
  const lists: InvertedList[] = section.shards.flatMap((ref) => decodeShard(blobs.get(ref.name)!, { ...section, ...ref }));
  const table = decodeItemTable(blobs.get(FUNNEL_BLOBS.itemTable)!);
  // The truth: exact inner product over the imported vectors of catalogue items, unpadded.
  const known = new Set(dataset.items.map((x) => x.itemId));
  const servedIds = rawItemIds.map((raw) => {
    const parsed = parseId(raw);
    return "value" in parsed ? parsed.value.id : "";
  });
  const kept = servedIds.flatMap((id, i) => (known.has(id) ? [i] : []));
  const base = new Float32Array(kept.length * DIMS);
  kept.forEach((i, k) => base.set(itemVectors.subarray(i * DIMS, (i + 1) * DIMS), k * DIMS));
  const padded = new Float32Array(section.dims);
  let recall = 0;
  for (let u = 0; u < userIds.length; u++) {
    const q = userVectors.subarray(u * DIMS, (u + 1) * DIMS);
    const truth = new Set(Array.from(bruteForceSearch(kernel, "ip", base, DIMS, q, 10).ids, (k) => servedIds[kept[k]!]!));
    padded.set(q);
    const found = searchIvfPq(kernel, head, (l) => lists[l]!, padded, {
      k: 10,
      nprobe: section.calibration!.nprobe,
      shortlist: section.calibration!.shortlist,
    });
    recall += Array.from(found.ids, (row) => itemIdAt(table, row)).filter((id) => truth.has(id)).length / 10;
  }
  return { recallAt10: recall / userIds.length, report: manifest.build!.vectors as VectorImportReport, lines };
}

const runs = new Map<string, ReturnType<typeof buildAndMeasure>>();
const run = (format: "parquet" | "npy") => runs.get(format) ?? runs.set(format, buildAndMeasure(format)).get(format)!;

describe("an index built from vectors trained elsewhere", () => {
  it(
    "from Spark's itemFactors Parquet shape: string ids matched through the import's rewrite, 24 dims padded to 32, ANN recall@10 against brute force",
    { timeout: 120_000 },
    async () => {
      const { recallAt10, report, lines } = await run("parquet");
      expect(report.items).toMatchObject({ rows: rawItemIds.length, dims: DIMS, matched: rawItemIds.length - 5, notInCatalog: 5, catalogWithoutVector: 0 });
      expect(report.items.rewrittenIds).toBeGreaterThan(1000);
      expect(report.dims).toBe(32);
      expect(report.users).toMatchObject({ rows: userIds.length, matched: userIds.length });
      expect(report.foldInAgreement?.users).toBeGreaterThan(100);
      expect(lines.some((l) => l.includes("heavy ranker not built: item vectors are imported"))).toBe(true);
      expect(recallAt10).toBeGreaterThanOrEqual(0.95);
    },
  );

  it("from a structured .npy: the same vectors give the same recall", { timeout: 120_000 }, async () => {
    const parquet = await run("parquet");
    const npy = await run("npy");
    expect(npy.report.items).toEqual({ ...parquet.report.items, file: join(dir, "items.npy") });
    expect(npy.recallAt10).toBeGreaterThanOrEqual(0.95);
    expect(npy.recallAt10).toBeCloseTo(parquet.recallAt10, 10);
  });

  it("checks fold-in: vectors trained with the fold-in's parameters agree with it, unrelated ones do not", async () => {
    const table = trainingTable(dataset);
    const params = { alpha: 2, regularization: 0.1, regExponent: 0 };
    const trained = trainIalsOnTable(table, { ...DEMO_IALS, ...params, dims: 16, sweeps: 12 });
    const asFile = (file: string, ids: string[], vectors: Float32Array) => ({ file, dims: 16, ids, vectors, rewrittenIds: 0 });
    const items = asFile("items.parquet", trained.itemIds, trained.itemVectors);
    const agreeing = importedEmbeddings(table, { items, users: asFile("users.parquet", trained.userIds, trained.userVectors), params }).report;
    expect(agreeing.foldInAgreement!.medianCosine).toBeGreaterThan(0.95);
    const shuffled = [...trained.userIds].reverse();
    const unrelated = importedEmbeddings(table, { items, users: asFile("users.parquet", shuffled, trained.userVectors), params }).report;
    expect(unrelated.foldInAgreement!.medianCosine).toBeLessThan(0.5);
    expect(() => importedEmbeddings(table, { items: asFile("other.npy", ["x", "y"], new Float32Array(32)), users: null, params })).toThrow(
      /other\.npy: none of its 2 ids is an item of the catalogue/,
    );
  });
});
