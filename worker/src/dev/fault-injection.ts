/**
 * Local chaos testing only (bench/chaos.ts): KV and D1 calls of public API
 * requests fail at random. Active only when BOTH hold:
 * - the Worker has a `DEV_FAULTS` var, JSON `{"kv": 0.2, "d1": 0.2}` (the
 *   share of calls that throw). wrangler.toml declares no such var, so no
 *   deployed config has it unless someone adds it by hand;
 * - the request was addressed to a loopback host (127.0.0.1, localhost,
 *   [::1]), which a request routed to a deployed Worker never is.
 * Admin routes are never disturbed: the bench's setup and audit use them.
 */
export interface FaultRates {
  kv: number;
  d1: number;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** The fault rates this request runs under, or null (the normal case). */
export function faultRates(env: Env, request: Request): FaultRates | null {
  const spec = (env as unknown as { DEV_FAULTS?: unknown }).DEV_FAULTS;
  if (typeof spec !== "string" || spec === "") return null;
  const url = new URL(request.url);
  if (!LOOPBACK.has(url.hostname) || !url.pathname.startsWith("/v1/")) return null;
  try {
    const parsed = JSON.parse(spec) as Partial<FaultRates>;
    const rate = (x: unknown) => (typeof x === "number" && x >= 0 && x <= 1 ? x : 0);
    return { kv: rate(parsed.kv), d1: rate(parsed.d1) };
  } catch {
    return null;
  }
}

/** The isolate's faulty bindings, kept so that per-binding caches see one object. */
let memo: { kv: KVNamespace; db: D1Database; rates: FaultRates; faultyKv: KVNamespace; faultyDb: D1Database } | null = null;

/** `env` with INDEX_KV and DB replaced by wrappers that throw at the given rates. */
export function withFaults(env: Env, rates: FaultRates): Env {
  if (memo?.kv !== env.INDEX_KV || memo.db !== env.DB || memo.rates.kv !== rates.kv || memo.rates.d1 !== rates.d1) {
    memo = { kv: env.INDEX_KV, db: env.DB, rates, faultyKv: faulty(env.INDEX_KV, rates.kv, "KV", KV_CALLS), faultyDb: faultyD1(env.DB, rates.d1) };
  }
  return { ...env, INDEX_KV: memo.faultyKv, DB: memo.faultyDb };
}

const KV_CALLS = new Set(["get", "getWithMetadata", "list", "put", "delete"]);
const D1_CALLS = new Set(["batch", "exec"]);
const STATEMENT_CALLS = new Set(["first", "all", "run", "raw"]);

function faulty<T extends object>(target: T, rate: number, name: string, calls: Set<string>): T {
  return new Proxy(target, {
    get(t, p) {
      const v = Reflect.get(t, p) as unknown;
      if (typeof v !== "function") return v;
      const method = (v as (...args: unknown[]) => unknown).bind(t);
      if (!calls.has(String(p))) return method;
      return (...args: unknown[]) => {
        if (Math.random() < rate) return Promise.reject(new Error(`injected ${name} fault (${String(p)})`));
        return method(...args);
      };
    },
  });
}

function faultyStatement(statement: D1PreparedStatement, rate: number): D1PreparedStatement {
  const wrapped = faulty(statement, rate, "D1", STATEMENT_CALLS);
  return new Proxy(wrapped, {
    get(t, p) {
      if (p === "bind") return (...args: unknown[]) => faultyStatement(statement.bind(...args), rate);
      return Reflect.get(t, p) as unknown;
    },
  });
}

function faultyD1(db: D1Database, rate: number): D1Database {
  const wrapped = faulty(db, rate, "D1", D1_CALLS);
  return new Proxy(wrapped, {
    get(t, p) {
      if (p === "prepare") return (query: string) => faultyStatement(db.prepare(query), rate);
      return Reflect.get(t, p) as unknown;
    },
  });
}
