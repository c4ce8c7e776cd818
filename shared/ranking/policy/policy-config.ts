import { ID_RULE, isValidId } from "../../ids";

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
 * (docs/movielens-hand-tuning.md, warm light weights) nDCG@10 is 0.2834 at 1, 0.2800 at
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
  // [min, max, integer]: counts and positions are whole numbers (a cap of 1.5 impressions, slot 2.5, mean nothing).
  const ranges: Record<string, [number, number, boolean]> = {
    mmrLambda: [0, 1, false],
    maxPerCategory: [0, 100, true],
    freshBoost: [-10, 10, false],
    frequencyCap: [0, 1000, true],
    explorationRate: [0, 1, false],
    explorationFrom: [1, 100, true],
  };
  for (const [key, v] of Object.entries(p)) {
    if (key === "rules") continue;
    // Own keys only: `constructor` or `toString` are not fields because every object inherits them.
    if (!Object.hasOwn(ranges, key)) return `unknown policy field "${key}"`;
    const [min, max, integer] = ranges[key]!;
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
      return `${key} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}`;
  }
  if (p.rules !== undefined) {
    if (!Array.isArray(p.rules) || p.rules.length > 100) return "rules must be an array of at most 100 rules";
    for (const [i, r] of p.rules.entries()) {
      const problem = ruleProblem(r);
      if (problem) return `rules[${i}]: ${problem}`;
    }
  }
  return null;
}

const RULE_FIELDS: Record<BusinessRule["kind"], string[]> = {
  pin: ["kind", "itemId", "position"],
  boost: ["kind", "match", "by"],
  bury: ["kind", "match", "by"],
  exclude: ["kind", "match"],
};

function ruleProblem(r: unknown): string | null {
  if (typeof r !== "object" || r === null || Array.isArray(r)) return "a rule must be an object";
  const rule = r as Record<string, unknown>;
  if (typeof rule.kind !== "string" || !Object.hasOwn(RULE_FIELDS, rule.kind)) return "kind must be pin, boost, bury or exclude";
  const fields = RULE_FIELDS[rule.kind as BusinessRule["kind"]];
  const unknown = Object.keys(rule).find((key) => !fields.includes(key));
  if (unknown) return `unknown field "${unknown}" for a ${rule.kind} rule`;
  if (rule.kind === "pin") {
    if (typeof rule.itemId !== "string" || rule.itemId.length === 0 || !Number.isInteger(rule.position) || (rule.position as number) < 1)
      return "a pin needs itemId and a position >= 1";
    if (!isValidId(rule.itemId)) return `a pin's itemId must be ${ID_RULE}`;
    return null;
  }
  const problem = matchProblem(rule.match);
  if (problem) return problem;
  if (rule.kind !== "exclude" && (typeof rule.by !== "number" || !Number.isFinite(rule.by) || rule.by < 0)) return `${rule.kind} needs by >= 0`;
  return null;
}

function matchProblem(m: unknown): string | null {
  if (typeof m !== "object" || m === null || Array.isArray(m)) return "match needs itemId, category or yearBefore";
  const match = m as Record<string, unknown>;
  const unknown = Object.keys(match).find((key) => key !== "itemId" && key !== "category" && key !== "yearBefore");
  if (unknown) return `unknown match field "${unknown}"`;
  if (match.itemId === undefined && match.category === undefined && match.yearBefore === undefined) return "match needs itemId, category or yearBefore";
  if (match.itemId !== undefined && !isValidId(match.itemId)) return `match.itemId must be ${ID_RULE}`;
  if (match.category !== undefined && (typeof match.category !== "string" || match.category.length === 0)) return "match.category must be a non-empty string";
  if (match.yearBefore !== undefined && !Number.isInteger(match.yearBefore)) return "match.yearBefore must be an integer year";
  return null;
}
