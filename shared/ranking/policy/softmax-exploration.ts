/** Most items the exact marginals are computed over: the subset recursion costs n·2^n steps. */
export const MAX_PLACKETT_LUCE_ITEMS = 12;

/** Plackett–Luce weights exp((s_i − max s)/τ): softmax sampling without replacement at temperature τ. */
function weights(scores: ArrayLike<number>, temperature: number): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i]!);
  return Float64Array.from({ length: scores.length }, (_, i) => Math.exp((scores[i]! - max) / temperature));
}

/**
 * Exact position marginals of a Plackett–Luce ranking (Plackett 1975, Luce
 * 1959) of the top n items: P(item i at position k), size n*n, row-major
 * (item, position). Items are picked one slot at a time with probability
 * w_i / Σ_{j not yet placed} w_j. The recursion runs over the set of items
 * placed so far: P(first |S| picks are S), summed into each (item,
 * position), exactly, for n ≤ MAX_PLACKETT_LUCE_ITEMS.
 */
export function plackettLuceMarginals(scores: ArrayLike<number>, temperature: number): Float64Array {
  const n = scores.length;
  if (n > MAX_PLACKETT_LUCE_ITEMS) throw new RangeError(`at most ${MAX_PLACKETT_LUCE_ITEMS} items`);
  if (!(temperature > 0)) throw new RangeError("temperature must be > 0");
  const w = weights(scores, temperature);
  const full = 1 << n;
  const reach = new Float64Array(full);
  const size = new Uint8Array(full);
  reach[0] = 1;
  const marginals = new Float64Array(n * n);
  for (let set = 0; set < full; set++) {
    const p = reach[set]!;
    if (p === 0) continue;
    // Summed over the items left rather than subtracted from the total: at low temperature the difference cancels to 0.
    let rest = 0;
    for (let i = 0; i < n; i++) if (!(set & (1 << i))) rest += w[i]!;
    for (let i = 0; i < n; i++) {
      const bit = 1 << i;
      if (set & bit) continue;
      const step = (p * w[i]!) / rest;
      const next = set | bit;
      reach[next] = reach[next]! + step;
      size[next] = size[set]! + 1;
      marginals[i * n + size[set]!] = marginals[i * n + size[set]!]! + step;
    }
  }
  return marginals;
}

/**
 * A softmax (Plackett–Luce) exploration policy over the top n of a ranked
 * list, a second exploration policy beside the re-ranker's epsilon-greedy:
 * samples an order of `scores`' items and returns, per position, the item and
 * the exact probability that the policy puts that item there (its marginal),
 * which is what position-level IPS/SNIPS/DR read.
 */
export function samplePlackettLuce(scores: ArrayLike<number>, temperature: number, random: () => number): { order: number[]; propensities: number[] } {
  const n = scores.length;
  const marginals = plackettLuceMarginals(scores, temperature);
  const w = weights(scores, temperature);
  const left = Array.from({ length: n }, (_, i) => i);
  const order: number[] = [];
  while (left.length > 0) {
    let rest = 0;
    for (const i of left) rest += w[i]!;
    let u = random() * rest;
    let pick = left.length - 1;
    for (let j = 0; j < left.length; j++) {
      u -= w[left[j]!]!;
      if (u < 0) {
        pick = j;
        break;
      }
    }
    order.push(left[pick]!);
    left.splice(pick, 1);
  }
  return { order, propensities: order.map((item, k) => marginals[item * n + k]!) };
}
