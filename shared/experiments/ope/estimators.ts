import { SeededRandom } from "../../seeded-random";

/** One logged decision, as the estimators see it. */
export interface LoggedSample {
  /** Observed reward of the logged action (a click: 0 or 1). */
  reward: number;
  /** Probability the logging policy took the logged action (its logged propensity), > 0. */
  loggingProb: number;
  /** Probability the candidate policy takes the same action in the same context. */
  targetProb: number;
  /** Reward model's prediction for the logged action, q̂(x, a). */
  modelReward: number;
  /** Reward model's value of the candidate policy in this context, Σ_a π(a|x) q̂(x, a). */
  modelValue: number;
}

export interface Estimate {
  value: number;
  ci: [number, number];
}

export interface OffPolicyEstimates {
  samples: number;
  ips: Estimate;
  snips: Estimate;
  dr: Estimate;
  /** Kish's effective sample size of the importance weights, (Σw)²/Σw²: how many logged samples the estimate is worth. */
  effectiveSampleSize: number;
  /** Share of samples the candidate policy gives any probability (its support among the logs). */
  support: number;
  maxWeight: number;
}

/**
 * Off-policy value estimates as Open Bandit Pipeline defines them (Saito et
 * al. 2021, obp.ope): with w_i = π_e(a_i|x_i)/π_0(a_i|x_i),
 *   IPS   = (1/n) Σ w_i r_i                                  (Horvitz & Thompson; Precup 2000)
 *   SNIPS = Σ w_i r_i / Σ w_i                                (self-normalized: bounded, lower variance, small bias)
 *   DR    = (1/n) Σ [ q̂(x_i, π_e) + w_i (r_i − q̂(x_i, a_i)) ]   (Dudík, Langford & Li 2011)
 * with percentile bootstrap CIs (resampling logged samples, seeded).
 */
export function offPolicyEstimates(
  samples: readonly LoggedSample[],
  options: { bootstrap?: number; confidence?: number; seed?: number } = {},
): OffPolicyEstimates {
  const n = samples.length;
  const w = Float64Array.from(samples, (s) => s.targetProb / s.loggingProb);
  const r = Float64Array.from(samples, (s) => s.reward);
  const dm = Float64Array.from(samples, (s) => s.modelValue);
  const q = Float64Array.from(samples, (s) => s.modelReward);
  const point = (idx: (i: number) => number) => {
    let ips = 0;
    let sw = 0;
    let dr = 0;
    for (let k = 0; k < n; k++) {
      const i = idx(k);
      ips += w[i]! * r[i]!;
      sw += w[i]!;
      dr += dm[i]! + w[i]! * (r[i]! - q[i]!);
    }
    return { ips: ips / n, snips: sw > 0 ? ips / sw : 0, dr: dr / n };
  };
  const full = point((k) => k);
  const rounds = options.bootstrap ?? 500;
  const confidence = options.confidence ?? 0.95;
  const rng = new SeededRandom(options.seed ?? 1);
  const boot = { ips: new Float64Array(rounds), snips: new Float64Array(rounds), dr: new Float64Array(rounds) };
  for (let b = 0; b < rounds; b++) {
    const p = point(() => rng.int(n));
    boot.ips[b] = p.ips;
    boot.snips[b] = p.snips;
    boot.dr[b] = p.dr;
  }
  const ci = (x: Float64Array): [number, number] => {
    const sorted = Float64Array.from(x).sort();
    const lo = sorted[Math.floor(((1 - confidence) / 2) * (rounds - 1))] ?? NaN;
    const hi = sorted[Math.ceil((1 - (1 - confidence) / 2) * (rounds - 1))] ?? NaN;
    return [lo, hi];
  };
  let sw = 0;
  let sw2 = 0;
  let supported = 0;
  let maxWeight = 0;
  for (let i = 0; i < n; i++) {
    sw += w[i]!;
    sw2 += w[i]! * w[i]!;
    if (samples[i]!.targetProb > 0) supported++;
    if (w[i]! > maxWeight) maxWeight = w[i]!;
  }
  return {
    samples: n,
    ips: { value: full.ips, ci: ci(boot.ips) },
    snips: { value: full.snips, ci: ci(boot.snips) },
    dr: { value: full.dr, ci: ci(boot.dr) },
    effectiveSampleSize: sw2 > 0 ? (sw * sw) / sw2 : 0,
    support: n > 0 ? supported / n : 0,
    maxWeight,
  };
}
