import { cosine } from "../../../shared/ann/metric";
import { type ConfidenceParams, foldInUser } from "../../../shared/embeddings/fold-in";
import { DEFAULT_CONTENT } from "../train/content-regression";
import { gramMatrix } from "../train/implicit-als";
import { type InteractionTable } from "../train/interaction-table";
import { type TrainedEmbeddings, userItemMatrix } from "../train/train-ials";
import { ImportError } from "../import/row-sources";
import { type ImportedVectors } from "../import/vector-file";
import { interactionCounts } from "./cold-items";

/** Vectors trained elsewhere (e.g. Spark MLlib ALS), and the loss parameters request-time fold-in uses with them. */
export interface VectorImport {
  items: ImportedVectors;
  /** The trained user vectors: queries for calibrating the ANN knobs, and a check of fold-in. */
  users: ImportedVectors | null;
  params: ConfidenceParams;
}

/** What the build did with imported vectors; kept in the manifest as `build.vectors`. */
export interface VectorImportReport {
  items: { file: string; rows: number; dims: number; matched: number; notInCatalog: number; catalogWithoutVector: number; rewrittenIds: number };
  users: { file: string; rows: number; matched: number } | null;
  /** Dimension served: the files' rounded up to a multiple of 16 (the ANN's SIMD width) with zeros, which leaves every inner product unchanged. */
  dims: number;
  foldIn: ConfidenceParams;
  /**
   * Cosine between the imported user vector and the one fold-in computes
   * from the user's interactions here, over up to 200 users in both: near 1
   * when the fold-in parameters and the interaction weights match the
   * training's; null without user vectors.
   */
  foldInAgreement: { users: number; medianCosine: number; p10Cosine: number } | null;
}

const AGREEMENT_USERS = 200;

/**
 * Embeddings in the builder's layout (rows = `table.itemIds`) from imported
 * vectors. Catalogue items without a vector get zeros (then their content
 * vector, as items without interactions do); imported ids outside the
 * catalogue and interactions are counted and left out. `trained` gives the
 * content regression each row's weight: an imported vector counts as well
 * trained even when the local log has no interaction for it.
 */
export function importedEmbeddings(
  table: InteractionTable,
  imported: VectorImport,
): { embeddings: TrainedEmbeddings; trained: Uint32Array; report: VectorImportReport } {
  const { items, users } = imported;
  if (users && users.dims !== items.dims) {
    throw new ImportError(users.file, null, `user vectors have ${users.dims} values, the item vectors (${items.file}) have ${items.dims}`);
  }
  const dims = servedDims(items.dims);
  const rowOf = new Map(table.itemIds.map((id, row) => [id, row]));
  const itemVectors = new Float32Array(table.itemIds.length * dims);
  const counts = interactionCounts(table);
  const trained = new Uint32Array(table.itemIds.length);
  let notInCatalog = 0;
  items.ids.forEach((id, i) => {
    const row = rowOf.get(id);
    if (row === undefined) return void notInCatalog++;
    itemVectors.set(items.vectors.subarray(i * items.dims, (i + 1) * items.dims), row * dims);
    trained[row] = Math.max(counts[row]!, DEFAULT_CONTENT.minInteractions);
  });
  const matched = items.ids.length - notInCatalog;
  if (matched === 0) {
    throw new ImportError(
      items.file,
      null,
      `none of its ${items.ids.length} ids is an item of the catalogue or the interactions (its first: ${items.ids.slice(0, 3).join(", ")}; ` +
        `the catalogue's: ${table.itemIds.slice(0, 3).join(", ")}); ids are compared after the import's rewrite of ids the Worker refuses`,
    );
  }
  const userVectors = users ? padRows(users.vectors, users.dims, dims) : new Float32Array(0);
  const embeddings: TrainedEmbeddings = {
    dims,
    itemIds: table.itemIds,
    itemVectors,
    userIds: users?.ids ?? [],
    userVectors,
    gram: Float32Array.from(gramMatrix(itemVectors, dims)),
    params: imported.params,
  };
  const userRows = new Set(table.userIds);
  return {
    embeddings,
    trained,
    report: {
      items: {
        file: items.file,
        rows: items.ids.length,
        dims: items.dims,
        matched,
        notInCatalog,
        catalogWithoutVector: table.itemIds.length - matched,
        rewrittenIds: items.rewrittenIds,
      },
      users: users ? { file: users.file, rows: users.ids.length, matched: users.ids.filter((id) => userRows.has(id)).length } : null,
      dims,
      foldIn: imported.params,
      foldInAgreement: users ? foldInAgreement(table, embeddings) : null,
    },
  };
}

/** The dimension vectors of `dims` values are served at: the next multiple of 16, the ANN kernel's SIMD width. */
export function servedDims(dims: number): number {
  return Math.ceil(dims / 16) * 16;
}

/** Rows of `from` values each, written with trailing zeros into rows of `to` (inner products unchanged). */
export function padRows(vectors: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return vectors;
  const n = vectors.length / from;
  const out = new Float32Array(n * to);
  for (let i = 0; i < n; i++) out.set(vectors.subarray(i * from, (i + 1) * from), i * to);
  return out;
}

function foldInAgreement(table: InteractionTable, embeddings: TrainedEmbeddings): VectorImportReport["foldInAgreement"] {
  const { dims } = embeddings;
  const matrix = userItemMatrix(table);
  const tableRow = new Map(table.userIds.map((id, u) => [id, u]));
  const cosines: number[] = [];
  const model = { dims, itemVectors: embeddings.itemVectors, gram: embeddings.gram, params: embeddings.params };
  // Users in file order, evenly spaced, so the sample does not depend on how ids sort.
  const step = Math.max(1, Math.floor(embeddings.userIds.length / AGREEMENT_USERS));
  for (let i = 0; i < embeddings.userIds.length && cosines.length < AGREEMENT_USERS; i += step) {
    const u = tableRow.get(embeddings.userIds[i]!);
    if (u === undefined) continue;
    const history = [];
    for (let k = matrix.indptr[u]!; k < matrix.indptr[u + 1]!; k++) history.push({ item: matrix.indices[k]!, weight: matrix.values[k]! });
    const folded = foldInUser(model, history);
    if (!folded) continue;
    cosines.push(cosine(folded, embeddings.userVectors.subarray(i * dims, (i + 1) * dims)));
  }
  if (cosines.length === 0) return null;
  cosines.sort((a, b) => a - b);
  const at = (p: number) => Number(cosines[Math.min(cosines.length - 1, Math.floor(p * cosines.length))]!.toFixed(4));
  return { users: cosines.length, medianCosine: at(0.5), p10Cosine: at(0.1) };
}
