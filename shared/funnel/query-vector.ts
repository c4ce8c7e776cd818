import { foldInUser } from "../embeddings/fold-in";
import { budgetedRead } from "./budget";
import { STAGE_BUDGET_MS } from "./knobs";
import { type FunnelHead, type IndexPort } from "./ports";

/**
 * Weight of the item being watched in up next's fold-in, against the
 * session's history: the item now on screen leads what comes after it.
 */
const UP_NEXT_CONTEXT_WEIGHT = 3;

/**
 * The query vector of a request; null for a cold start or when the vectors
 * cannot be read (named in `degraded`). Home: the session's history folded
 * in. Related: the context item's own vector (items like this one). Up next:
 * the history and the item being watched folded in together, the item
 * weighing most (what this user watches after it).
 */
export async function queryVector(
  index: IndexPort,
  head: FunnelHead,
  surface: "home" | "up_next" | "related",
  recent: readonly { row: number; weight: number }[],
  contextRow: number,
  degraded: string[],
): Promise<Float32Array | null> {
  const context = contextRow >= 0 ? [{ row: contextRow, weight: UP_NEXT_CONTEXT_WEIGHT }] : [];
  const history = surface === "home" ? recent : surface === "up_next" ? [...recent.filter((h) => h.row !== contextRow), ...context] : [];
  const rows = surface === "related" ? context.map((c) => c.row) : history.map((h) => h.row);
  if (rows.length === 0) return null;
  const read = await budgetedRead("vectors", STAGE_BUDGET_MS.vectors, degraded, () => index.vectorsOfRows(head, rows));
  if (!read) return null;
  const { vectors } = read;
  if (surface === "related") return vectors.get(contextRow) ?? null;
  // A compact model over the history items only: fold-in reads just their rows;
  // `itemCount` keeps the frequency-scaled regularization that of the full model.
  const d = head.foldIn.dims;
  const present = history.filter((h) => vectors.has(h.row));
  const itemVectors = new Float32Array(present.length * d);
  present.forEach((h, i) => itemVectors.set(vectors.get(h.row)!, i * d));
  return foldInUser(
    { ...head.foldIn, itemVectors },
    present.map((h, i) => ({ item: i, weight: h.weight })),
  );
}
