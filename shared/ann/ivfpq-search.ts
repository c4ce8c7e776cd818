import { type ScanKernel } from "./kernel/scan-kernel";
import { type InvertedList, type IvfPqHead } from "./ivfpq-index";
import { quantizeTables } from "./pq4";
import { ksubOf } from "./product-quantizer";
import { sq8QueryTerms } from "./sq8";

/** Per-call knobs (faiss passes nprobe per search too; nothing here is index state). */
export interface SearchParams {
  /** Results wanted. */
  k: number;
  /** Inverted lists scanned (faiss: nprobe). */
  nprobe: number;
  /**
   * PQ candidates re-scored against the SQ8 store before the final top-k
   * (the "reordering" stage of ScaNN, Guo et al. 2020). 0, or an index
   * without the store, returns the PQ scores' top k.
   */
  shortlist: number;
}

/** Where lists come from: memory in the builder, verified KV shards in the Worker. Null when unavailable. */
export type ListSource = (list: number) => InvertedList | null;

export interface SearchResult {
  /** Item positions, best first. */
  ids: Uint32Array;
  /** Their scores (higher is better), from the re-scoring store when one was used, else from PQ. */
  scores: Float32Array;
  /** Probed lists the source could not supply; they were skipped. */
  missingLists: number[];
}

/** Step 1, coarse assignment: the nprobe lists whose centroids score best for q, best first. */
export function probeLists(kernel: ScanKernel, head: IvfPqHead, q: Float32Array, nprobe: number): { lists: Uint32Array; scores: Float32Array } {
  const { nlist, metric, dims } = head.params;
  const scores = new Float32Array(nlist);
  kernel.pin(head.centroids);
  kernel.scoreRows(metric, head.centroids, dims, q, scores);
  const top = kernel.topK(Math.min(nprobe, nlist));
  top.pushRange(scores, 0);
  const { ids, scores: best } = top.drain();
  return { lists: ids, scores: best };
}

/** A candidate of the list scan: which list, and where in it. */
export interface Shortlist {
  /** Candidate handles, best PQ score first; `locate` turns one into (list, offset). */
  handles: Uint32Array;
  scores: Float32Array;
  locate(handle: number): { list: InvertedList; offset: number };
  missingLists: number[];
}

/**
 * Step 2, list scan: PQ scores of every vector of the probed lists through
 * the distance tables (quantized to u8 for 4-bit codes), kept in a top-k of
 * `size`. For ip, one table serves
 * every list (score = <q, c> + <q, residual>); for l2 the table is rebuilt
 * per list from q minus the list's centroid.
 */
export function scanLists(
  kernel: ScanKernel,
  head: IvfPqHead,
  q: Float32Array,
  probed: { lists: Uint32Array; scores: Float32Array },
  source: ListSource,
  size: number,
): Shortlist {
  const { m, metric, dims, nbits } = head.params;
  const ksub = ksubOf(nbits);
  kernel.pin(head.codebooksT);
  const tables = new Float32Array(m * ksub);
  const scan8 = nbits === 8 ? kernel.listScanner(m) : null;
  const scan4 = nbits === 4 ? kernel.pq4Scanner(m) : null;
  const setTables = () => {
    if (scan8) scan8.setTables(tables);
    else {
      const { lut8, scale, offset } = quantizeTables(tables, m);
      scan4!.setTables(lut8, scale, offset);
    }
  };
  if (metric === "ip") {
    kernel.distanceTables("ip", q, head.codebooksT, m, ksub, tables);
    setTables();
  }
  const residual = new Float32Array(dims);
  const top = kernel.topK(size);
  const scanned: { base: number; list: InvertedList }[] = [];
  const missingLists: number[] = [];
  let base = 0;
  for (let p = 0; p < probed.lists.length; p++) {
    const listNo = probed.lists[p]!;
    const list = source(listNo);
    if (!list) {
      missingLists.push(listNo);
      continue;
    }
    const n = list.ids.length;
    if (n === 0) continue;
    let bias = probed.scores[p]!;
    if (metric === "l2") {
      for (let d = 0; d < dims; d++) residual[d] = q[d]! - head.centroids[listNo * dims + d]!;
      kernel.distanceTables("l2", residual, head.codebooksT, m, ksub, tables);
      setTables();
      bias = 0;
    }
    if (scan8) scan8.scanList(list.codes, bias, base, top);
    else scan4!.scanList(list.codes, n, bias, base, top);
    scanned.push({ base, list });
    base += n;
  }
  const { ids: handles, scores } = top.drain();
  const locate = (handle: number) => {
    let lo = 0;
    let hi = scanned.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (scanned[mid]!.base <= handle) lo = mid;
      else hi = mid - 1;
    }
    const hit = scanned[lo]!;
    return { list: hit.list, offset: handle - hit.base };
  };
  return { handles, scores, locate, missingLists };
}

/** Step 3, re-scoring: SQ8 scores of the shortlist, and the final top k. */
export function rescoreShortlist(kernel: ScanKernel, head: IvfPqHead, q: Float32Array, shortlist: Shortlist, k: number): SearchResult {
  const { dims, metric } = head.params;
  const n = shortlist.handles.length;
  const ids = new Uint32Array(n);
  const codes = new Uint8Array(n * dims);
  for (let i = 0; i < n; i++) {
    const { list, offset } = shortlist.locate(shortlist.handles[i]!);
    ids[i] = list.ids[offset]!;
    codes.set(list.sq8!.subarray(offset * dims, (offset + 1) * dims), i * dims);
  }
  const { a, b, c0 } = sq8QueryTerms(metric, q, head.sq8!);
  const scores = new Float32Array(n);
  kernel.sq8Scores(metric, codes, dims, a, b, c0, scores);
  const top = kernel.topK(Math.min(k, n));
  top.push(scores, ids);
  return { ...top.drain(), missingLists: shortlist.missingLists };
}

/**
 * The three steps in order, with the knobs of one call. `probed` is step 1's
 * result when the caller already probed (to fetch those lists first).
 */
export function searchIvfPq(
  kernel: ScanKernel,
  head: IvfPqHead,
  source: ListSource,
  q: Float32Array,
  params: SearchParams,
  probed: { lists: Uint32Array; scores: Float32Array } = probeLists(kernel, head, q, params.nprobe),
): SearchResult {
  const rescore = params.shortlist > 0 && head.sq8 !== null;
  const shortlist = scanLists(kernel, head, q, probed, source, rescore ? Math.max(params.shortlist, params.k) : params.k);
  if (rescore) return rescoreShortlist(kernel, head, q, shortlist, params.k);
  const ids = Uint32Array.from(shortlist.handles, (h) => {
    const { list, offset } = shortlist.locate(h);
    return list.ids[offset]!;
  });
  return { ids, scores: shortlist.scores, missingLists: shortlist.missingLists };
}
