import { Hono } from "hono";
import { probeLists } from "../../../shared/ann/ivfpq-search";
import { itemQueryVector, similarItems } from "../../../shared/ann/similar-items";
import { AppError } from "../../../shared/errors";
import { annIdNamer, fetchLists, loadAnnHead } from "../index-store/ann-store";
import { type ItemLookup } from "../../../shared/catalog/item-lookup";
import { loadFunnelHead, vectorsOfRows } from "../index-store/funnel-store";
import { workerdKernel } from "../ann/workerd-kernel";
import { type AppEnv } from "../http/app-env";
import { itemIdParam, plainQueryError, similarQuery } from "../http/schemas/catalog-reads";
import { validParams, validQuery } from "../http/schemas/validate";
import { ServerTiming } from "../http/server-timing";
import { loadCurrentIndex } from "../index-store/index-cache";

/**
 * Defaults for an index without the builder's calibration (manifest
 * `ann.calibration`, used when present), tuned on the demo index (recall@20
 * near 1 against brute force); callers may override per request.
 */
const DEFAULT_NPROBE = 16;
const DEFAULT_SHORTLIST = 200;

const validatedInput = [validParams(itemIdParam, plainQueryError), validQuery(similarQuery, plainQueryError)] as const;

/**
 * `GET /v1/items/:id/similar?limit=&nprobe=&shortlist=`: the items nearest
 * to the item's own (stored) vector, from the ANN shards in KV. A shard that
 * is missing or corrupt is skipped and named in `degraded`.
 */
export const similarRoute = new Hono<AppEnv>().get("/:id/similar", ...validatedInput, async (c) => {
  const id = c.req.valid("param").id;
  const knobs = c.req.valid("query");
  const limit = knobs.limit;
  const timing = new ServerTiming();
  const index = await timing.measure("index", () => loadCurrentIndex(c.env.INDEX_KV));
  if (!index) throw new AppError("index_not_published", "no index has been published yet; run the index builder's publish");
  const ann = await timing.measure("ann_head", () => loadAnnHead(c.env.INDEX_KV, index.manifest));
  const answer = (items: { itemId: string; score: number }[], degraded: string[]) => {
    c.header("Server-Timing", timing.header());
    return c.json({ itemId: id, indexVersion: index.version, items, degraded });
  };
  if ("degraded" in ann) return answer([], [ann.degraded]);

  const nlist = ann.section.nlist;
  const calibrated = ann.section.calibration;
  // The schema bounds nprobe by MAX_NPROBE; only the loaded index knows its own nlist.
  if (knobs.nprobe !== undefined && knobs.nprobe > nlist) throw new AppError("invalid_request", `nprobe must be an integer from 1 to ${nlist}`);
  const nprobe = knobs.nprobe ?? Math.min(calibrated?.nprobe ?? DEFAULT_NPROBE, nlist);
  const shortlist = knobs.shortlist ?? calibrated?.shortlist ?? DEFAULT_SHORTLIST;
  const kernel = workerdKernel();

  // The item's own vector and id in the lists: from the funnel's item table and vector pages when
  // the lists store item-table rows, else from its position's list (the SQ8 copy stored there).
  let self: { id: number; query: Float32Array | null; degraded: string[] };
  let idOf: (id: number) => string | null;
  let table: ItemLookup | null = null;
  if (ann.positionOf && ann.items) {
    const position = ann.positionOf.get(id);
    if (position === undefined) throw new AppError("item_not_found", `item ${id} has no vector in index ${index.version}`);
    const ownList = ann.items.lists[position]!;
    const own = await timing.measure("own_shard", () => fetchLists(c.env.INDEX_KV, index.manifest, ann.section, [ownList]));
    self = { id: position, query: itemQueryVector(ann.head, own.source, ownList, position), degraded: own.degraded };
    idOf = annIdNamer(ann, null)!;
  } else {
    const head = await timing.measure("funnel_head", () => loadFunnelHead(c.env.INDEX_KV, index.manifest));
    if ("degraded" in head) return answer([], [head.degraded]);
    table = head.table.view();
    const prepared = await timing.measure("item_pages", () => table!.prepare([id], []));
    if (prepared.length > 0) return answer([], prepared);
    const row = table.rowOf(id);
    if (row < 0) throw new AppError("item_not_found", `item ${id} has no vector in index ${index.version}`);
    const read = await timing.measure("own_vector", () => vectorsOfRows(c.env.INDEX_KV, index.manifest, head, [row]));
    self = { id: row, query: read.vectors.get(row) ?? null, degraded: read.degraded };
    idOf = annIdNamer(ann, table)!;
  }
  const query = self.query;
  if (!query) return answer([], self.degraded);
  const probed = probeLists(kernel, ann.head, query, nprobe);
  const fetched = await timing.measure("shards", () => fetchLists(c.env.INDEX_KV, index.manifest, ann.section, probed.lists));
  const found = await timing.measure("search", async () =>
    similarItems(kernel, ann.head, fetched.source, query, self.id, { limit, nprobe, shortlist, count: ann.section.count }, probed),
  );
  const named = table ? await timing.measure("item_pages", () => table.prepare([], found.positions)) : [];
  const items = Array.from(found.positions, (pos, i) => ({ itemId: idOf(pos), score: found.scores[i]! })).filter(
    (x): x is { itemId: string; score: number } => x.itemId !== null,
  );
  return answer(items, [...fetched.degraded, ...named]);
});
