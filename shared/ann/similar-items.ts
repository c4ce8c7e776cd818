import { type ScanKernel } from "./kernel/scan-kernel";
import { type IvfPqHead } from "./ivfpq-index";
import { type ListSource, searchIvfPq } from "./ivfpq-search";
import { reconstructVector } from "./reconstruct";

/** The stored vector of the item at `position`, from its list; null when that list is unavailable. */
export function itemQueryVector(head: IvfPqHead, source: ListSource, listNo: number, position: number): Float32Array | null {
  const list = source(listNo);
  const offset = list ? list.ids.indexOf(position) : -1;
  return list && offset >= 0 ? reconstructVector(head, listNo, list, offset) : null;
}

/**
 * Nearest items to an item's own vector, the item itself left out: what
 * `GET /v1/items/:id/similar` serves, and what the Node side computes to
 * check the Worker against.
 */
export function similarItems(
  kernel: ScanKernel,
  head: IvfPqHead,
  source: ListSource,
  query: Float32Array,
  position: number,
  knobs: { limit: number; nprobe: number; shortlist: number; count: number },
  /** The lists already probed for `query` (searchIvfPq's `probed`). */
  probed?: { lists: Uint32Array; scores: Float32Array },
): { positions: number[]; scores: number[]; missingLists: number[] } {
  const k = Math.min(knobs.limit + 1, knobs.count);
  const result = searchIvfPq(kernel, head, source, query, { k, nprobe: knobs.nprobe, shortlist: Math.max(knobs.shortlist, k) }, probed);
  const positions: number[] = [];
  const scores: number[] = [];
  result.ids.forEach((pos, i) => {
    if (pos === position || positions.length >= knobs.limit) return;
    positions.push(pos);
    scores.push(result.scores[i]!);
  });
  return { positions, scores, missingLists: result.missingLists };
}
