import { SeededRandom } from "../../seeded-random";

/**
 * `n` vectors of `dims` drawn around `clusters` Gaussian centres with a
 * spread of norms (scale 0.5 to 1.5), like trained embeddings; seeded.
 * Test data for index and calibration tests.
 */
export function clusteredVectors(n: number, dims: number, clusters: number, noise: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  const centers = Float32Array.from({ length: clusters * dims }, () => random.gaussian());
  const out = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) {
    const c = random.int(clusters);
    const scale = 0.5 + random.next();
    for (let d = 0; d < dims; d++) out[i * dims + d] = scale * (centers[c * dims + d]! + noise * random.gaussian());
  }
  return out;
}
