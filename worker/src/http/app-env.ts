import { type RequestMetric } from "../../../shared/metrics/request-metrics";
import { type Caller } from "../auth/caller";

/** Hono's environment for this app: the Worker bindings and per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    caller: Caller;
    /** What a route adds to its request's metric (worker/src/http/metrics.ts); `clicks` by surface. */
    metric: Partial<Omit<RequestMetric, "route" | "status" | "waitMs">> & { clicks?: ReadonlyMap<string, number> };
  };
}
