/** Which items a business rule applies to. */
export interface RuleMatch {
  itemId?: string;
  category?: string;
  /** Items released before this year. */
  yearBefore?: number;
}

export type BusinessRule =
  | { kind: "pin"; itemId: string; /** 1-based */ position: number }
  | { kind: "boost" | "bury"; match: RuleMatch; by: number }
  | { kind: "exclude"; match: RuleMatch };

/** Re-ranking knobs; per surface and region overrides come from KV config. */
export interface PolicyConfig {
  /** MMR trade-off (Carbonell & Goldstein 1998): 1 = relevance only, 0 = diversity only. */
  mmrLambda: number;
  /** At most this many items of one category in a list (0 = no cap). */
  maxPerCategory: number;
  /** Added to the score of items added after the index was built. */
  freshBoost: number;
  /** Items shown at least this many times to the user are left out (0 = no cap). */
  frequencyCap: number;
  /** Epsilon-greedy exploration: probability of exploring at an eligible slot. */
  explorationRate: number;
  /** 1-based first position where exploration may happen. */
  explorationFrom: number;
  rules: BusinessRule[];
}

/**
 * mmrLambda 0.9 trades a little accuracy for variety: on ML-100K validation
 * (tune-funnel.ts, warm light weights) nDCG@10 is 0.2834 at 1, 0.2800 at
 * 0.95, 0.2779 at 0.9 and 0.2727 at 0.8.
 */
export const DEFAULT_POLICY: PolicyConfig = {
  mmrLambda: 0.9,
  maxPerCategory: 0,
  freshBoost: 0.3,
  frequencyCap: 8,
  explorationRate: 0.1,
  explorationFrom: 4,
  rules: [],
};

export function matches(match: RuleMatch, itemId: string, categories: readonly string[], year: number | null): boolean {
  if (match.itemId !== undefined && match.itemId !== itemId) return false;
  if (match.category !== undefined && !categories.includes(match.category)) return false;
  if (match.yearBefore !== undefined && !(year !== null && year < match.yearBefore)) return false;
  return match.itemId !== undefined || match.category !== undefined || match.yearBefore !== undefined;
}

/** Validates a policy override (admin input); returns the problem or null. */
export function policyProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "policy must be an object";
  const p = value as Record<string, unknown>;
  const ranges: Record<string, [number, number]> = {
    mmrLambda: [0, 1],
    maxPerCategory: [0, 100],
    freshBoost: [-10, 10],
    frequencyCap: [0, 1000],
    explorationRate: [0, 1],
    explorationFrom: [1, 100],
  };
  for (const [key, v] of Object.entries(p)) {
    if (key === "rules") continue;
    const range = ranges[key];
    if (!range) return `unknown policy field "${key}"`;
    if (typeof v !== "number" || !Number.isFinite(v) || v < range[0] || v > range[1]) return `${key} must be a number from ${range[0]} to ${range[1]}`;
  }
  if (p.rules !== undefined) {
    if (!Array.isArray(p.rules) || p.rules.length > 100) return "rules must be an array of at most 100 rules";
    for (const [i, r] of p.rules.entries()) {
      const rule = r as Record<string, unknown>;
      if (rule.kind === "pin") {
        if (typeof rule.itemId !== "string" || !Number.isInteger(rule.position) || (rule.position as number) < 1) return `rules[${i}]: a pin needs itemId and a position >= 1`;
      } else if (rule.kind === "boost" || rule.kind === "bury" || rule.kind === "exclude") {
        const m = rule.match as RuleMatch | undefined;
        if (typeof m !== "object" || m === null || !matchesSomething(m)) return `rules[${i}]: match needs itemId, category or yearBefore`;
        if (rule.kind !== "exclude" && (typeof rule.by !== "number" || !(rule.by >= 0))) return `rules[${i}]: ${rule.kind} needs by >= 0`;
      } else return `rules[${i}]: kind must be pin, boost, bury or exclude`;
    }
  }
  return null;
}

function matchesSomething(m: RuleMatch): boolean {
  return m.itemId !== undefined || m.category !== undefined || m.yearBefore !== undefined;
}
