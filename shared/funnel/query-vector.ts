import { foldInUser } from "../embeddings/fold-in";
import { budgetedRead } from "./budget";
import { STAGE_BUDGET_MS } from "./knobs";
import { type FunnelHead, type IndexPort } from "./ports";

/**
 * The user's folded-in vector (home) or the context item's vector (up next,
 * related); null for a cold start or when the vectors cannot be read (named
 * in `degraded`).
 */
export async function queryVector(
  index: IndexPort,
  head: FunnelHead,
  home: boolean,
  history: readonly { row: number; weight: number }[],
  contextRow: number,
  degraded: string[],
): Promise<Float32Array | null> {
  const rows = home ? history.map((h) => h.row) : contextRow >= 0 ? [contextRow] : [];
  if (rows.length === 0) return null;
  const read = await budgetedRead("vectors", STAGE_BUDGET_MS.vectors, degraded, () => index.vectorsOfRows(head, rows));
  if (!read) return null;
  const { vectors } = read;
  if (!home) return vectors.get(contextRow) ?? null;
  // A compact model over the history items only: fold-in reads just their rows;
  // `itemCount` keeps the frequency-scaled regularization that of the full model.
  const d = head.foldIn.dims;
  const present = history.filter((h) => vectors.has(h.row));
  const itemVectors = new Float32Array(present.length * d);
  present.forEach((h, i) => itemVectors.set(vectors.get(h.row)!, i * d));
  return foldInUser({ ...head.foldIn, itemVectors }, present.map((h, i) => ({ item: i, weight: h.weight })));
}
