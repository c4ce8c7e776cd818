import { AppError } from "../../../shared/errors";
import { fnv1a32 } from "../../../shared/fnv1a";
import { type Surface } from "../../../shared/funnel/run-funnel";
import { DEFAULT_POLICY, type PolicyConfig, policyProblem } from "../../../shared/ranking/policy/policy-config";

/** Editorial lists: surface -> region (lower-case country, or "default") -> item ids in order. */
export type EditorialConfig = Record<string, Record<string, string[]>>;
/** Policy overrides per surface ("default" applies to every surface). */
export type PolicyOverrides = Record<string, Partial<PolicyConfig>>;

/** The surfaces a policy override or an editorial list names; a policy's `default` applies to each. */
export const CONFIG_SURFACES = ["home", "up_next", "related"] as const satisfies readonly Surface[];
/** The keys of a policy configuration: `default` (every surface) and each surface. */
export const POLICY_KEYS = ["default", ...CONFIG_SURFACES] as const;

export const EDITORIAL_KEY = "config/editorial";
export const POLICY_KEY = "config/policy";
const CONFIG_TTL_MS = 30_000;

/** A stored config as read: its value (`empty` when none is stored) and a stamp of its text that any change moves. */
export interface StoredConfig<T> {
  value: T;
  stored: boolean;
  stamp: string;
}

const cache = new Map<string, { config: StoredConfig<unknown>; at: number }>();

/** A config value from KV, cached per isolate for 30 s (configs change rarely; KV reads cost). */
async function readConfig<T>(kv: KVNamespace, key: string, empty: T): Promise<StoredConfig<T>> {
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < CONFIG_TTL_MS) return hit.config as StoredConfig<T>;
  const config = await readStoredConfig(kv, key, empty);
  cache.set(key, { config, at: Date.now() });
  return config;
}

/** A config value straight from KV, past the isolate's cache: what an admin reads back. */
async function readStoredConfig<T>(kv: KVNamespace, key: string, empty: T): Promise<StoredConfig<T>> {
  const text = await kv.get(key, { type: "text" });
  return text === null ? { value: empty, stored: false, stamp: "0" } : { value: JSON.parse(text) as T, stored: true, stamp: fnv1a32(text).toString(36) };
}

/**
 * The policy and editorial lists one request is served under, and their
 * stamp: part of the list cache key, so a list made under an earlier config
 * is never served once this isolate reads the new one.
 */
export interface ConfigSnapshot {
  policy: PolicyOverrides;
  editorial: EditorialConfig;
  stamp: string;
}

export async function readConfigSnapshot(kv: KVNamespace): Promise<ConfigSnapshot> {
  const [policy, editorial] = await Promise.all([readConfig<PolicyOverrides>(kv, POLICY_KEY, {}), readConfig<EditorialConfig>(kv, EDITORIAL_KEY, {})]);
  return { policy: policy.value, editorial: editorial.value, stamp: `${policy.stamp}.${editorial.stamp}` };
}

export function policyOf(overrides: PolicyOverrides, surface: string): PolicyConfig {
  return { ...DEFAULT_POLICY, ...overrides.default, ...overrides[surface] };
}

export function editorialOf(config: EditorialConfig, surface: string, region: string): string[] {
  return config[surface]?.[region] ?? config[surface]?.default ?? [];
}

export async function editorialFor(kv: KVNamespace, surface: string, region: string): Promise<string[]> {
  return editorialOf((await readConfig<EditorialConfig>(kv, EDITORIAL_KEY, {})).value, surface, region);
}

export async function policyFor(kv: KVNamespace, surface: string): Promise<PolicyConfig> {
  return policyOf((await readConfig<PolicyOverrides>(kv, POLICY_KEY, {})).value, surface);
}

/** The stored policy overrides, read from KV (not this isolate's cache). */
export const storedPolicy = (kv: KVNamespace): Promise<StoredConfig<PolicyOverrides>> => readStoredConfig<PolicyOverrides>(kv, POLICY_KEY, {});

/** The stored editorial lists, read from KV (not this isolate's cache). */
export const storedEditorial = (kv: KVNamespace): Promise<StoredConfig<EditorialConfig>> => readStoredConfig<EditorialConfig>(kv, EDITORIAL_KEY, {});

/** Stores editorial lists (admin; the route's schema checked them: worker/src/http/schemas/admin-config.ts). */
export async function putEditorial(kv: KVNamespace, value: EditorialConfig): Promise<void> {
  await kv.put(EDITORIAL_KEY, JSON.stringify(value));
  cache.delete(EDITORIAL_KEY);
}

/**
 * Checks policy overrides (admin input): 400 `invalid_request` naming an
 * unknown surface, or the surface and the policy's first problem.
 */
export function parsePolicyOverrides(value: unknown): PolicyOverrides {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid("policy config must be an object of surfaces");
  for (const [surface, policy] of Object.entries(value)) {
    if (!(POLICY_KEYS as readonly string[]).includes(surface)) throw invalid(unknownSurface(surface, POLICY_KEYS));
    const problem = policyProblem(policy);
    if (problem) throw invalid(`${surface}: ${problem}`);
  }
  return value as PolicyOverrides;
}

/** Stores policy overrides (admin; checked by parsePolicyOverrides). */
export async function putPolicy(kv: KVNamespace, value: PolicyOverrides): Promise<void> {
  await kv.put(POLICY_KEY, JSON.stringify(value));
  cache.delete(POLICY_KEY);
}

/** The refusal of a surface no list is served on: a misspelt one would never apply. */
export function unknownSurface(surface: string, known: readonly string[]): string {
  return `unknown surface "${surface}": it would never apply (known: ${known.join(", ")})`;
}

function invalid(message: string): AppError {
  return new AppError("invalid_request", `${message}; nothing was stored`);
}
