/**
 * `npm run bench:ann [-- --n 1000000 --skip-faiss --skip-hnsw --skip-workerd
 * --item-vectors F --user-vectors F --repeats 3 --out ann]`: our IVF-PQ at
 * several settings, FAISS IndexIVFPQ and IndexIVFPQFastScan (each plain and
 * refined), hnswlib-node and exact brute force in our WASM, side by side on
 * the demo data's iALS vectors, on vectors trained elsewhere when given (the
 * build's --item-vectors files), and on the synthetic n x 64 set, queries =
 * trained user vectors (maximum inner product); our 4-bit index is searched
 * inside workerd too. Writes bench/results/<out>.json and .md, then exits
 * non-zero if a target of issue 3 is broken. Not a test.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import HnswLib from "hnswlib-node";
import { loadNodeKernel } from "../../index-builder/src/ann/node-kernel";
import { PROJECT_ROOT } from "../../index-builder/src/local/wrangler";
import { encodeAnnIndex } from "../../shared/ann/ann-blobs";
import { ANN_BLOBS } from "../../shared/ann/ann-manifest";
import { bruteForceSearch } from "../../shared/ann/brute-force";
import { buildIvfPq } from "../../shared/ann/build-ivfpq";
import { type IvfPqParams } from "../../shared/ann/ivfpq-index";
import { searchIvfPq } from "../../shared/ann/ivfpq-search";
import { type AnnDataset, demoDataset, fileDataset, syntheticDataset } from "./datasets";
import { kernelSpeedups } from "./kernel-speedups";
import { type AnnResult, measureQueries } from "./measure";
import { markdownTable } from "./report";
import { startSearchWorker, type WorkerdRow } from "./workerd-search";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "1000000" },
    "skip-faiss": { type: "boolean", default: false },
    "skip-hnsw": { type: "boolean", default: false },
    "skip-workerd": { type: "boolean", default: false },
    "item-vectors": { type: "string" },
    "user-vectors": { type: "string" },
    repeats: { type: "string", default: "3" },
    out: { type: "string", default: "ann" },
  },
});
const SEED = 20261121;
const RESULTS = join(PROJECT_ROOT, "bench", "results");
const log = (line: string) => console.log(`[bench:ann ${((performance.now() / 1000) | 0).toString().padStart(4)} s] ${line}`);

interface OurConfig {
  params: Omit<IvfPqParams, "dims" | "metric">;
  settings: [nprobe: number, shortlist: number][];
}

function ourConfigs(n: number): OurConfig[] {
  if (n < 100_000) {
    return [
      {
        params: { nlist: 64, m: 16, nbits: 8, rescore: "sq8" },
        settings: [
          [8, 300],
          [16, 500],
          [32, 1000],
        ],
      },
      {
        params: { nlist: 64, m: 32, nbits: 4, rescore: "sq8" },
        settings: [
          [8, 300],
          [16, 500],
          [32, 1000],
        ],
      },
      {
        params: { nlist: 64, m: 32, nbits: 8, rescore: "none" },
        settings: [
          [16, 0],
          [32, 0],
        ],
      },
    ];
  }
  return [
    {
      params: { nlist: 1024, m: 16, nbits: 8, rescore: "sq8" },
      settings: [
        [32, 500],
        [64, 1000],
        [128, 1000],
        [256, 1500],
      ],
    },
    // 4-bit scores are coarser, so the shortlist grows with nprobe: re-scoring is cheap next to the scan.
    {
      params: { nlist: 1024, m: 32, nbits: 4, rescore: "sq8" },
      settings: [
        [32, 500],
        [64, 1000],
        [96, 1500],
        [128, 2000],
        [256, 2000],
      ],
    },
    {
      params: { nlist: 1024, m: 32, nbits: 8, rescore: "none" },
      settings: [
        [64, 0],
        [128, 0],
      ],
    },
  ];
}

/** Load average and CPUs: the machine is shared, so every figure is reported with the load it was measured under. */
function machineLoad(): { at: string; loadavg_1_5_15: number[]; cpus: number } {
  return { at: new Date().toISOString(), loadavg_1_5_15: loadavg().map((x) => Number(x.toFixed(2))), cpus: cpus().length };
}

async function main(): Promise<void> {
  const repeats = Math.max(1, Number(values.repeats));
  const started = machineLoad();
  const demo = await demoDataset(join(PROJECT_ROOT, "data", "ml-latest-small"));
  log(`demo: ${demo.source}`);
  const imported = values["item-vectors"] ? await fileDataset(values["item-vectors"], values["user-vectors"]) : null;
  if (imported) log(`imported: ${imported.source}`);
  const n = Number(values.n);
  const synthetic = syntheticDataset(demo, n, { seed: SEED, noise: 0.25 });
  log(`synthetic: ${synthetic.source}`);
  const datasets = [demo, ...(imported ? [imported] : []), synthetic];
  const results: AnnResult[] = [];
  const workerdRows: WorkerdRow[] = [];
  const loads: Record<string, ReturnType<typeof machineLoad>[]> = {};
  const speedups: Record<string, number> = {};
  const workerd = values["skip-workerd"] ? null : await startSearchWorker();
  for (const ds of datasets) {
    loads[ds.name] = [machineLoad()];
    const count = ds.base.length / ds.dims;
    const queryCount = ds.queries.length / ds.dims;
    const query = (i: number) => ds.queries.subarray(i * ds.dims, (i + 1) * ds.dims);
    const common = { dataset: ds.name, n: count, dims: ds.dims };

    const exact = loadNodeKernel();
    const truth = new Uint32Array(queryCount * 100);
    for (let i = 0; i < queryCount; i++) truth.set(bruteForceSearch(exact, "ip", ds.base, ds.dims, query(i), 100).ids, i * 100);
    const brute = measureQueries(queryCount, truth, (i) => bruteForceSearch(exact, "ip", ds.base, ds.dims, query(i), 100).ids, repeats);
    results.push({ system: "brute-force-wasm", ...common, nprobe: null, ...brute, bytes_per_vector: 4 * ds.dims, build_s: 0 });
    log(`${ds.name}: exact top-100 of ${queryCount} queries; brute force ${brute.qps.toFixed(0)} QPS`);

    for (const config of ourConfigs(count)) {
      const params: IvfPqParams = { metric: "ip", dims: ds.dims, ...config.params };
      const kernel = loadNodeKernel();
      const started = performance.now();
      let lastStep = "";
      const index = buildIvfPq(kernel, ds.base, params, {
        seed: SEED,
        onProgress: (step, done, total) => {
          if (step !== lastStep || done === total) log(`  build nlist ${params.nlist} m ${params.m}: ${step} ${done}/${total}`);
          lastStep = step;
        },
      });
      const encoded = encodeAnnIndex(
        index,
        Array.from({ length: count }, (_, i) => String(i)),
        { embedding: ds.name },
      );
      const buildS = (performance.now() - started) / 1000;
      // Everything a search needs is shipped: shards (ids, codes, SQ8 store) and the head blobs. The
      // item-id catalogue (ann-items) maps positions to external ids and is not part of the index proper.
      let shipped = 0;
      for (const [name, blob] of encoded.blobs) if (name !== ANN_BLOBS.items) shipped += blob.bytes.byteLength;
      // Node keeps the whole index in the kernel's memory, as faiss keeps its lists in its own; the
      // Worker copies the lists it probes instead (worker/src/ann/ann-store.ts).
      for (const list of index.lists) kernel.pin(list.codes);
      const system = `ours-ivfpq${params.m}x${params.nbits}${params.rescore === "sq8" ? "+sq8" : ""}`;
      const nodeCpu: { nprobe: number; shortlist: number; nodeCpuMsPerQuery: number }[] = [];
      for (const [nprobe, shortlist] of config.settings) {
        const row = measureQueries(
          queryCount,
          truth,
          (i) => searchIvfPq(kernel, index, (l) => index.lists[l]!, query(i), { k: 100, nprobe, shortlist }).ids,
          repeats,
        );
        nodeCpu.push({ nprobe, shortlist, nodeCpuMsPerQuery: row.cpu_ms_per_query! });
        results.push({
          system,
          ...common,
          nprobe,
          ...row,
          bytes_per_vector: shipped / count,
          build_s: buildS,
          nlist: params.nlist,
          m: params.m,
          nbits: params.nbits,
          shortlist,
        });
        log(
          `  ${system} nprobe ${nprobe} shortlist ${shortlist}: recall@100 ${row.recall_at_100.toFixed(3)}, p99 ${row.p99_ms.toFixed(2)} ms, ${row.qps.toFixed(0)} QPS`,
        );
      }
      // The served shape (4-bit fast-scan codes + SQ8 re-scoring), searched inside workerd at the same settings.
      if (workerd && params.nbits === 4) {
        const rows = await workerd.measure({ system, dataset: ds.name }, encoded, ds.queries, truth, nodeCpu, repeats);
        for (const r of rows)
          log(
            `  ${system} in workerd nprobe ${r.nprobe}: recall@100 ${r.recall_at_100.toFixed(3)}, CPU ${r.workerd_cpu_ms_per_query.toFixed(3)} ms/query (Node ${r.node_cpu_ms_per_query.toFixed(3)})`,
          );
        workerdRows.push(...rows);
      }
      if (ds === synthetic && params.rescore === "sq8") Object.assign(speedups, kernelSpeedups(index, ds, log));
    }

    if (!values["skip-faiss"]) results.push(...runFaiss(ds, truth, repeats));
    if (!values["skip-hnsw"]) results.push(...runHnsw(ds, truth, common, repeats));
    loads[ds.name]!.push(machineLoad());
  }
  await workerd?.dispose();

  await mkdir(RESULTS, { recursive: true });
  const meta = { command: `npm run bench:ann -- ${process.argv.slice(2).join(" ")}`.trim(), repeats, started, finished: machineLoad(), loads };
  await writeFile(join(RESULTS, `${values.out}.json`), `${JSON.stringify({ meta, results, workerd: workerdRows }, null, 2)}\n`);
  const { table, verdicts, failed } = markdownTable(results, speedups, datasets, { meta, workerd: workerdRows });
  await writeFile(join(RESULTS, `${values.out}.md`), table);
  console.log(`\n${table}`);
  log(`wrote ${join(RESULTS, `${values.out}.json`)} and ${values.out}.md`);
  for (const v of verdicts) console.log(v);
  if (failed) process.exitCode = 1;
}

/** FAISS through Debian's python3-faiss on vectors written to a temporary directory. */
function runFaiss(ds: AnnDataset, truth: Uint32Array, repeats: number): AnnResult[] {
  const dir = mkdtempSync(join(tmpdir(), "ann-bench-"));
  try {
    const file = (name: string, data: ArrayBufferView) => {
      writeFileSync(join(dir, name), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      return join(dir, name);
    };
    const configs = ourConfigs(ds.base.length / ds.dims);
    const [pq8, pq4] = [configs.find((c) => c.params.nbits === 8)!, configs.find((c) => c.params.nbits === 4)!];
    const spec = {
      dataset: ds.name,
      dims: ds.dims,
      base: file("base.f32", ds.base),
      queries: file("queries.f32", ds.queries),
      truth: file("truth.i32", truth),
      nlist: pq8.params.nlist,
      pq8: { m: pq8.params.m, settings: pq8.settings },
      pq4: { m: pq4.params.m, settings: pq4.settings },
      repeats,
      seed: SEED,
    };
    writeFileSync(join(dir, "spec.json"), JSON.stringify(spec));
    log(`${ds.name}: FAISS IndexIVFPQ nlist ${spec.nlist} m ${spec.pq8.m}, IndexIVFPQFastScan m ${spec.pq4.m} (python3-faiss, one thread)`);
    const run = spawnSync("/usr/bin/python3", [join(PROJECT_ROOT, "bench", "ann", "faiss_ivfpq.py"), join(dir, "spec.json")], {
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" },
      maxBuffer: 1 << 24,
      timeout: 30 * 60_000,
    });
    if (run.status !== 0) {
      log(`FAISS failed (is python3-faiss installed? apt-get install -y python3-faiss): ${run.stderr || run.error}`);
      return [];
    }
    const rows = run.stdout
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AnnResult);
    for (const row of rows)
      log(
        `  ${row.system} nprobe ${row.nprobe} shortlist ${String(row.shortlist)}: recall@100 ${row.recall_at_100.toFixed(3)}, p99 ${row.p99_ms.toFixed(2)} ms, ${row.qps.toFixed(0)} QPS`,
      );
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** hnswlib-node (HNSW, Malkov and Yashunin 2018): M 16, efConstruction 100, ef swept. */
function runHnsw(ds: AnnDataset, truth: Uint32Array, common: Pick<AnnResult, "dataset" | "n" | "dims">, repeats: number): AnnResult[] {
  const count = ds.base.length / ds.dims;
  const M = 16;
  const index = new HnswLib.HierarchicalNSW("ip", ds.dims);
  const started = performance.now();
  index.initIndex(count, M, 100, SEED);
  for (let i = 0; i < count; i++) {
    index.addPoint(Array.from(ds.base.subarray(i * ds.dims, (i + 1) * ds.dims)), i);
    if ((i + 1) % 100_000 === 0) log(`  hnswlib build ${i + 1}/${count}`);
  }
  const buildS = (performance.now() - started) / 1000;
  // Level 0 holds 2M links of 4 bytes plus a count; upper levels add ~1/M of that; the label is 8 bytes.
  const bytesPerVector = 4 * ds.dims + (2 * M * 4 + 4) * (1 + 1 / M) + 8;
  const rows: AnnResult[] = [];
  for (const ef of [100, 200, 400]) {
    index.setEf(ef);
    const row = measureQueries(
      ds.queries.length / ds.dims,
      truth,
      (i) => index.searchKnn(Array.from(ds.queries.subarray(i * ds.dims, (i + 1) * ds.dims)), 100).neighbors,
      repeats,
    );
    rows.push({ system: "hnswlib-node", ...common, nprobe: null, ...row, bytes_per_vector: bytesPerVector, build_s: buildS, ef, M });
    log(`  hnswlib ef ${ef}: recall@100 ${row.recall_at_100.toFixed(3)}, p99 ${row.p99_ms.toFixed(2)} ms, ${row.qps.toFixed(0)} QPS`);
  }
  return rows;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
