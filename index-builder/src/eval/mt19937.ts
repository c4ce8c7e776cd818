const N = 624;
const M = 397;

/**
 * The Mersenne Twister MT19937 as numpy's legacy `RandomState` runs it, so
 * that `np.random.seed(s); np.random.rand(n)` can be reproduced bit for bit
 * (Matsumoto & Nishimura 1998; numpy `randomkit.c`).
 */
export class Mt19937 {
  private readonly mt = new Uint32Array(N);
  private index = N;

  /** `init_genrand`: what `np.random.seed(int)` does for a 32-bit seed. */
  constructor(seed: number) {
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** `genrand_int32`. */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** numpy's `random_double`: 53 random bits from two draws, in [0, 1). */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  private twist(): void {
    const mt = this.mt;
    for (let k = 0; k < N; k++) {
      const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % N]! & 0x7fffffff);
      mt[k] = mt[(k + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }
}

/** `np.random.seed(seed); np.random.rand(n)`. */
export function numpyRand(seed: number, n: number): Float64Array {
  const rng = new Mt19937(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.nextDouble();
  return out;
}
