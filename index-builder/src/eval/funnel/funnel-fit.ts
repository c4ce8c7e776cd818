import { type IvfPqParams } from "../../../../shared/ann/ivfpq-index";
import { type ScanKernel } from "../../../../shared/ann/kernel/scan-kernel";
import { type CatalogItem } from "../../../../shared/catalog/catalog-item";
import { type CovisitLists } from "../../../../shared/covisit/covisit-lists";
import { buildCovisitation, type CovisitOptions, DEFAULT_COVISIT } from "../../train/covisitation";
import { type IalsFactors, type IalsOptions, trainImplicitAls } from "../../train/implicit-als";
import { type InteractionTable } from "../../train/interaction-table";
import { userItemMatrix } from "../../train/train-ials";
import { type FunnelCandidates, funnelCandidates, type FunnelKnobs } from "./funnel-candidates";
import { buildFunnelIndex, type FunnelIndex } from "./funnel-index";
import { type FunnelUser, funnelUsers } from "./funnel-user";

/** Everything that decides the candidates, apart from the data. */
export interface FunnelSpec {
  ials: IalsOptions;
  covisit: Partial<CovisitOptions>;
  knobs: FunnelKnobs;
  /** Recent events folded in and used as co-visitation seeds (the Worker's session keeps 50). */
  recentLimit: number;
  /** IVF-PQ parameter overrides (tuning only; default `defaultAnnParams`). */
  ann?: Partial<IvfPqParams>;
}

/** A fitted funnel: the index built from one training table and its users' sessions. */
export interface FittedFunnel {
  index: FunnelIndex;
  factors: IalsFactors;
  users: Map<number, FunnelUser>;
}

/**
 * Trains what the builder would publish on `train` (binary rows, as the
 * eval's iALS) and builds the index. `reuse` passes factors or lists
 * already fitted on this very table (the standalone rows' models).
 */
export function fitFunnel(
  train: InteractionTable,
  catalog: readonly CatalogItem[],
  spec: FunnelSpec,
  reuse: { factors?: IalsFactors | null; covisit?: CovisitLists | null } = {},
): FittedFunnel {
  const binary = { ...train, values: new Float32Array(train.values.length).fill(1) };
  const factors = reuse.factors ?? trainImplicitAls(userItemMatrix(binary), spec.ials);
  const covisit = reuse.covisit ?? buildCovisitation(train, { ...DEFAULT_COVISIT, ...spec.covisit });
  const index = buildFunnelIndex(train, catalog, factors, spec.ials, covisit, spec.ann);
  return { index, factors, users: funnelUsers(train, index.facts, spec.recentLimit) };
}

/** Candidates of each listed user that has a session. */
export function funnelRequests(fitted: FittedFunnel, users: Iterable<number>, kernel: ScanKernel, knobs: FunnelKnobs): Map<number, FunnelCandidates> {
  const out = new Map<number, FunnelCandidates>();
  for (const u of users) {
    const session = fitted.users.get(u);
    if (session) out.set(u, funnelCandidates(fitted.index, session, kernel, knobs));
  }
  return out;
}
