import { type Caller } from "../auth/caller";

/** Hono's environment for this app: the Worker bindings and per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; caller: Caller };
}
