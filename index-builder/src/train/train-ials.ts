import { type ConfidenceParams } from "../../../shared/embeddings/fold-in";
import { type Dataset } from "../data/movielens";
import { csrFromCoo, type Csr } from "./csr";
import { DEFAULT_IALS, gramMatrix, type IalsFactors, type IalsOptions, trainImplicitAls } from "./implicit-als";
import { trainingTable } from "../build/training-table";
import { type InteractionTable } from "./interaction-table";

/** Trained implicit-ALS embeddings in the layout the index and the ANN builder take. */
export interface TrainedEmbeddings {
  dims: number;
  /** External item id of each row of `itemVectors`; catalogue items without interactions get zero vectors. */
  itemIds: string[];
  /** Size itemIds.length*dims, row-major. */
  itemVectors: Float32Array;
  userIds: string[];
  /** Size userIds.length*dims, row-major. */
  userVectors: Float32Array;
  /** YᵀY of `itemVectors`, size dims*dims, row-major: what fold-in needs at serving time. */
  gram: Float32Array;
  params: ConfidenceParams;
}

/**
 * Implicit-ALS parameters for the demo data (ml-latest-small): the values
 * docs/movielens-hand-tuning.md records it chose on a validation split of it (TIME_IALS: 64 dims,
 * alpha 1, λ 0.005 frequency-scaled with ν = 1, 10 sweeps). 64 dims keeps
 * the request-time fold-in well under a millisecond.
 */
export const DEMO_IALS: IalsOptions = { ...DEFAULT_IALS, dims: 64, sweeps: 10, alpha: 1, regularization: 0.005, regExponent: 1 };

/** Trains on a dataset, its rows weighed by their kind (build/training-table.ts). */
export function trainIals(dataset: Dataset, options: Partial<IalsOptions> = {}): TrainedEmbeddings {
  return trainIalsOnTable(trainingTable(dataset), { ...DEMO_IALS, ...options });
}

/** Same, on a table whose `values` already are signed weights. */
export function trainIalsOnTable(table: InteractionTable, options: IalsOptions): TrainedEmbeddings {
  return embeddingsOf(table, trainImplicitAls(userItemMatrix(table), options), options);
}

/** Factors trained on `table` with `options`, in the index's layout. */
export function embeddingsOf(table: InteractionTable, factors: IalsFactors, options: IalsOptions): TrainedEmbeddings {
  return {
    dims: options.dims,
    itemIds: table.itemIds,
    itemVectors: Float32Array.from(factors.itemVectors),
    userIds: table.userIds,
    userVectors: Float32Array.from(factors.userVectors),
    gram: Float32Array.from(gramMatrix(factors.itemVectors, options.dims)),
    params: { alpha: options.alpha, regularization: options.regularization, regExponent: options.regExponent },
  };
}

/** users×items CSR of summed weights. */
export function userItemMatrix(table: InteractionTable): Csr {
  return csrFromCoo(table.userIds.length, table.itemIds.length, table.users, table.items, table.values);
}
