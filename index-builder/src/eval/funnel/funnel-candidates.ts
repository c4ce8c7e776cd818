import { type AnnManifestSection } from "../../../../shared/ann/ann-manifest";
import { searchIvfPq } from "../../../../shared/ann/ivfpq-search";
import { type ScanKernel } from "../../../../shared/ann/kernel/scan-kernel";
import { neighborsOf } from "../../../../shared/covisit/covisit-lists";
import { foldInUser } from "../../../../shared/embeddings/fold-in";
import { type Candidate, type UserContext } from "../../../../shared/ranking/candidate";
import { mergeCandidates, type SourceProposal } from "../../../../shared/ranking/merge-candidates";
import { annResultsWanted, UNCALIBRATED_ANN_KNOBS } from "../../../../shared/ranking/ann-request";
import { categoryItems, covisitItems, popularItems } from "../../../../shared/ranking/sources";
import { type FunnelIndex } from "./funnel-index";
import { type FunnelUser } from "./funnel-user";

/** The Worker's home-surface knobs (worker/src/funnel/run-funnel.ts: QUOTA; shared/ranking/ann-request.ts). */
export interface FunnelKnobs {
  quota: { ann: number; covisit: number; content: number; popular: number };
  /** Inverted lists probed (faiss: nprobe); null: the index's calibrated nprobe, as the Worker does. */
  nprobe: number | null;
  /** PQ candidates re-scored with SQ8 before the ANN's top `quota.ann`; null: the index's calibrated shortlist. */
  shortlist: number | null;
}

/** The nprobe and shortlist a request uses: explicit knobs, else the index's calibration, else the Worker's defaults. */
export function annKnobsOf(section: AnnManifestSection, knobs: FunnelKnobs): { nprobe: number; shortlist: number } {
  const served = section.calibration ?? UNCALIBRATED_ANN_KNOBS;
  return { nprobe: Math.min(knobs.nprobe ?? served.nprobe, section.nlist), shortlist: knobs.shortlist ?? served.shortlist };
}

export const SERVED_KNOBS: FunnelKnobs = { quota: { ann: 150, covisit: 100, content: 60, popular: 100 }, nprobe: null, shortlist: null };

/** One request's merged candidates, its ranking context, and the ANN source's own proposals (dense item indices, best first). */
export interface FunnelCandidates {
  candidates: Candidate[];
  ctx: UserContext;
  annItems: number[];
}

/**
 * The home surface's candidate generation as `runFunnel` composes it, from
 * the same shared functions: the recent items folded into a user vector and
 * searched in the IVF-PQ index, co-visitation of the recent items, popular
 * items of the three strongest positive category affinities (content), and
 * the popular list; merged in the Worker's source order with the seen items
 * excluded. Trending, fresh, editorial and context have no offline data.
 */
export function funnelCandidates(index: FunnelIndex, user: FunnelUser, kernel: ScanKernel, knobs: FunnelKnobs = SERVED_KNOBS): FunnelCandidates {
  const idOf = (row: number) => index.itemIds[row]!;
  const proposals: SourceProposal[] = [];
  const annItems: number[] = [];
  const query = foldInUser(index.foldIn, user.recent);
  if (query) {
    const { head, items, source, section } = index.ann;
    const { nprobe, shortlist } = annKnobsOf(section, knobs);
    // As served: ask for as many more as the user has seen, so the quota is filled with unseen items.
    const k = annResultsWanted(knobs.quota.ann, user.seen.size);
    const found = searchIvfPq(kernel, head, source, query, { k, nprobe, shortlist: Math.max(shortlist, k) });
    const annProposal = Array.from(found.ids, (pos, i) => ({ itemId: items.ids[pos]!, score: found.scores[i]! }));
    for (const p of annProposal) annItems.push(index.itemIndex.get(p.itemId)!);
    proposals.push({ source: "ann", quota: knobs.quota.ann, items: annProposal });
  }
  if (user.recent.length > 0) {
    const history = user.recent.map((h) => ({ row: h.item, itemId: idOf(h.item), weight: h.weight }));
    proposals.push({ source: "covisit", quota: knobs.quota.covisit, items: covisitItems((row) => neighborsOf(index.covisit, row), history, idOf, knobs.quota.covisit) });
  }
  const strongest = Object.entries(user.affinities)
    .filter(([, score]) => score > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([category, weight]) => ({ category, weight }));
  if (strongest.length > 0) proposals.push({ source: "content", quota: knobs.quota.content, items: categoryItems(index.popular, strongest, knobs.quota.content) });
  proposals.push({ source: "popular", quota: knobs.quota.popular, items: popularItems(index.popular, [], knobs.quota.popular) });

  const exclude = new Set([...user.seen].map(idOf));
  const candidates = mergeCandidates(proposals, exclude).filter((c) => index.facts.get(c.itemId)?.available ?? false);
  const ctx: UserContext = {
    affinities: user.affinities,
    declaredCategories: [],
    historyLength: user.recent.length,
    impressionCounts: {},
    surface: "home",
    nowMs: user.nowMs,
  };
  return { candidates, ctx, annItems };
}
