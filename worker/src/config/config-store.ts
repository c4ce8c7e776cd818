import { AppError } from "../../../shared/errors";
import { DEFAULT_POLICY, type PolicyConfig, policyProblem } from "../../../shared/ranking/policy/policy-config";

/** Editorial lists: surface -> region (lower-case country, or "default") -> item ids in order. */
export type EditorialConfig = Record<string, Record<string, string[]>>;
/** Policy overrides per surface ("default" applies to every surface). */
export type PolicyOverrides = Record<string, Partial<PolicyConfig>>;

export const EDITORIAL_KEY = "config/editorial";
export const POLICY_KEY = "config/policy";
const CONFIG_TTL_MS = 30_000;

const cache = new Map<string, { value: unknown; at: number }>();

/** A config value from KV, cached per isolate for 30 s (configs change rarely; KV reads cost). */
async function readConfig<T>(kv: KVNamespace, key: string, empty: T): Promise<T> {
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < CONFIG_TTL_MS) return hit.value as T;
  const text = await kv.get(key, { type: "text" });
  const value = text === null ? empty : (JSON.parse(text) as T);
  cache.set(key, { value, at: Date.now() });
  return value;
}

export async function editorialFor(kv: KVNamespace, surface: string, region: string): Promise<string[]> {
  const config = await readConfig<EditorialConfig>(kv, EDITORIAL_KEY, {});
  return config[surface]?.[region] ?? config[surface]?.default ?? [];
}

export async function policyFor(kv: KVNamespace, surface: string): Promise<PolicyConfig> {
  const overrides = await readConfig<PolicyOverrides>(kv, POLICY_KEY, {});
  return { ...DEFAULT_POLICY, ...overrides.default, ...overrides[surface] };
}

/** Stores editorial lists (admin; the route's schema checked them: worker/src/http/schemas/admin-config.ts). */
export async function putEditorial(kv: KVNamespace, value: EditorialConfig): Promise<void> {
  await kv.put(EDITORIAL_KEY, JSON.stringify(value));
  cache.delete(EDITORIAL_KEY);
}

/** Checks policy overrides (admin input): 400 `invalid_request` naming the surface and the policy's first problem. */
export function parsePolicyOverrides(value: unknown): PolicyOverrides {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid("policy config must be an object of surfaces");
  for (const [surface, policy] of Object.entries(value)) {
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

function invalid(message: string): AppError {
  return new AppError("invalid_request", `${message}; nothing was stored`);
}
