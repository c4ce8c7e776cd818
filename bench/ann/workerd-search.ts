import { join } from "node:path";
import { unstable_startWorker } from "wrangler";
import { offlineWranglerEnv, PROJECT_ROOT } from "../../index-builder/src/local/wrangler";
import { type EncodedBlob } from "../../shared/ann/ann-blobs";
import { ANN_BLOBS, type AnnManifestSection } from "../../shared/ann/ann-manifest";
import { recallAtK } from "../../shared/ann/brute-force";
import { workerdCpuMs } from "../lib/workerd-cpu";

/** One setting of our index searched inside workerd, beside the same search's CPU in Node. */
export interface WorkerdRow {
  system: string;
  dataset: string;
  n: number;
  nprobe: number;
  shortlist: number;
  /** Of the ids workerd returned: equal to Node's when both run the same code on the same index. */
  recall_at_10: number;
  recall_at_100: number;
  /** workerd process CPU over all search requests minus as many `/floor` requests, per query; median of the rounds. */
  workerd_cpu_ms_per_query: number;
  node_cpu_ms_per_query: number;
  queries_per_round: number;
  rounds: number;
}

/**
 * Uploads an encoded index and its queries (size q*dims), then for each
 * setting searches every query in workerd: recall against `truth` (size
 * q*100) and CPU per query over `rounds` rounds.
 */
export type MeasureInWorkerd = (
  label: { system: string; dataset: string },
  encoded: { section: AnnManifestSection; blobs: Map<string, EncodedBlob> },
  queries: Float32Array,
  truth: Uint32Array,
  settings: { nprobe: number; shortlist: number; nodeCpuMsPerQuery: number }[],
  rounds: number,
) => Promise<WorkerdRow[]>;

const QUERIES_PER_REQUEST = 100;
/** Each round runs passes over all queries until about this much CPU, so the 10 ms /proc tick is a small error. */
const ROUND_TARGET_MS = 1500;

/**
 * The bench Worker (bench/ann/workerd/search-worker.ts) under wrangler's
 * local workerd, as bench:auth runs its Worker: an index is uploaded blob by
 * blob, then searched in batches; CPU is read from /proc for the workerd
 * processes under this one (the clock inside workerd does not advance
 * during computation, so a wall time there would read zero).
 */
export async function startSearchWorker(): Promise<{ measure: MeasureInWorkerd; dispose: () => Promise<void> }> {
  Object.assign(process.env, offlineWranglerEnv());
  const worker = await unstable_startWorker({
    config: join(PROJECT_ROOT, "bench", "ann", "workerd", "wrangler.toml"),
    dev: { remote: false, inspector: false, server: { hostname: "127.0.0.1", port: 0 }, watch: false, liveReload: false, logLevel: "warn" },
  });
  await worker.ready;
  const url = (await worker.url).href;
  const call = async (path: string, init?: RequestInit) => {
    // Once more on a dropped socket: while Node builds the next index, the server may close the idle keep-alive connection.
    const res = await fetch(url + path, init).catch(() => fetch(url + path, init));
    if (!res.ok) throw new Error(`bench Worker /${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  const measure: MeasureInWorkerd = async (label, encoded, queries, truth, settings, rounds) => {
    for (const [name, blob] of encoded.blobs)
      if (name !== ANN_BLOBS.items) await call(`blob/${encodeURIComponent(name)}`, { method: "PUT", body: blob.bytes.slice() });
    await call("index", { method: "PUT", body: JSON.stringify(encoded.section) });
    await call("queries", { method: "PUT", body: queries.slice().buffer });
    const count = queries.length / encoded.section.dims;
    const rows: WorkerdRow[] = [];
    for (const { nprobe, shortlist, nodeCpuMsPerQuery } of settings) {
      const paths = (k: number) =>
        Array.from({ length: Math.ceil(count / QUERIES_PER_REQUEST) }, (_, r) => {
          const from = r * QUERIES_PER_REQUEST;
          return `search?from=${from}&count=${Math.min(QUERIES_PER_REQUEST, count - from)}&k=${k}&nprobe=${nprobe}&shortlist=${shortlist}`;
        });
      // The ids of one pass, for recall; it also warms the isolate.
      const found = new Uint32Array(count * 100);
      let at = 0;
      for (const path of paths(100)) {
        const ids = new Uint32Array(await (await call(path)).arrayBuffer());
        found.set(ids, at);
        at += ids.length;
      }
      let r10 = 0;
      let r100 = 0;
      for (let i = 0; i < count; i++) {
        r10 += recallAtK(found.subarray(i * 100, i * 100 + 10), truth.subarray(i * 100, (i + 1) * 100), 10);
        r100 += recallAtK(found.subarray(i * 100, (i + 1) * 100), truth.subarray(i * 100, (i + 1) * 100), 100);
      }
      const passes = Math.max(1, Math.ceil(ROUND_TARGET_MS / Math.max(1e-3, nodeCpuMsPerQuery * count)));
      const cpuOver = async (list: string[]) => {
        const before = workerdCpuMs(process.pid);
        for (let p = 0; p < passes; p++) for (const path of list) await (await call(path)).arrayBuffer();
        return workerdCpuMs(process.pid) - before;
      };
      const perQuery: number[] = [];
      const searchPaths = paths(100);
      const floorPaths = searchPaths.map(() => "floor");
      for (let r = 0; r < rounds; r++) {
        const search = await cpuOver(searchPaths);
        const floor = await cpuOver(floorPaths);
        perQuery.push((search - floor) / (passes * count));
      }
      perQuery.sort((a, b) => a - b);
      rows.push({
        ...label,
        n: encoded.section.count,
        nprobe,
        shortlist,
        recall_at_10: r10 / count,
        recall_at_100: r100 / count,
        workerd_cpu_ms_per_query: perQuery[(perQuery.length - 1) >> 1]!,
        node_cpu_ms_per_query: nodeCpuMsPerQuery,
        queries_per_round: passes * count,
        rounds,
      });
    }
    return rows;
  };
  return { measure, dispose: () => worker.dispose() };
}
