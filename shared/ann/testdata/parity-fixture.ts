import { type EncodedBlob, encodeAnnIndex } from "../ann-blobs";
import { type AnnManifestSection } from "../ann-manifest";
import { buildIvfPq } from "../build-ivfpq";
import { type ScanKernel } from "../kernel/scan-kernel";
import { type IvfPqIndex, type IvfPqParams } from "../ivfpq-index";
import { SeededRandom } from "../../seeded-random";
import { itemQueryVector, similarItems } from "../similar-items";

/**
 * One small seeded index that Node (shared/ann/parity.test.ts) and workerd
 * (test/integration/ann.test.ts) both build and search; parity.json holds
 * Node's blob checksums and answers, which workerd must reproduce exactly.
 */
export const PARITY = {
  n: 1500,
  // 4-bit codes, so that workerd runs the SIMD fast-scan path too.
  params: { metric: "ip", dims: 32, nlist: 16, m: 8, nbits: 4, rescore: "sq8" } satisfies IvfPqParams as IvfPqParams,
  seed: 77,
  shardTargetBytes: 12_000,
  queries: ["ann-0", "ann-7", "ann-123", "ann-999", "ann-1499"],
  knobs: { limit: 10, nprobe: 4, shortlist: 50 },
};

export function parityItemIds(): string[] {
  return Array.from({ length: PARITY.n }, (_, i) => `ann-${i}`);
}

/** Clustered vectors with a spread of norms, like trained embeddings. */
export function parityVectors(): Float32Array {
  const { dims } = PARITY.params;
  const random = new SeededRandom(PARITY.seed);
  const centers = Float32Array.from({ length: 12 * dims }, () => random.gaussian());
  const out = new Float32Array(PARITY.n * dims);
  for (let i = 0; i < PARITY.n; i++) {
    const c = random.int(12);
    const scale = 0.5 + random.next();
    for (let d = 0; d < dims; d++) out[i * dims + d] = scale * (centers[c * dims + d]! + 0.7 * random.gaussian());
  }
  return out;
}

export function buildParityIndex(
  kernel: ScanKernel,
  /** Item-table rows of the parity items (by position), to store rows instead of positions. */
  tableRows?: Uint32Array,
  /** With `tableRows`: the facts page stored in each shard (index-builder funnel-blobs.ts `factsPage`). */
  factsPage?: ((rows: Uint32Array) => Uint8Array) | null,
): { index: IvfPqIndex; blobs: Map<string, EncodedBlob>; section: AnnManifestSection } {
  const index = buildIvfPq(kernel, parityVectors(), PARITY.params, { seed: PARITY.seed, kmeansIterations: 6 });
  const options = {
    embedding: "parity-fixture",
    shardTargetBytes: PARITY.shardTargetBytes,
    ...(tableRows ? { tableRows } : {}),
    ...(factsPage ? { factsPage } : {}),
  };
  return { index, ...encodeAnnIndex(index, parityItemIds(), options) };
}

/** Node's answers for PARITY.queries, as GET /v1/items/:id/similar gives them. */
export function parityAnswers(kernel: ScanKernel, index: IvfPqIndex): Record<string, string[]> {
  const ids = parityItemIds();
  const source = (l: number) => index.lists[l]!;
  const out: Record<string, string[]> = {};
  for (const itemId of PARITY.queries) {
    const position = ids.indexOf(itemId);
    const query = itemQueryVector(index, source, index.listOf[position]!, position)!;
    out[itemId] = similarItems(kernel, index, source, query, position, { ...PARITY.knobs, count: PARITY.n }).positions.map((p) => ids[p]!);
  }
  return out;
}
