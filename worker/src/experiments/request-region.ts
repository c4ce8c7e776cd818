import { type Caller } from "../auth/caller";
import { regionOf } from "../http/region";

/**
 * The caller's region as the experiments see it: Cloudflare's country, or the
 * X-Region header (a two-letter country code in any case, lower-cased as
 * allocation keys are) when a server holding a secret key sends it. Such a server is the operator: it can already set any
 * experiment's allocation and pin any version, so naming its user's region
 * gives it nothing new, while Cloudflare's country of a server-to-server call
 * is the server's, not the user's. A browser (publishable key) cannot choose
 * its allocation this way. TRUST_REGION_HEADER="1" believes the header from
 * anyone (local benches that play users from several countries; never in production).
 */
export function requestRegion(env: Env, request: Request, caller: Caller): string {
  if (caller.kind === "secret" || env.TRUST_REGION_HEADER === "1") {
    const claimed = request.headers.get("x-region")?.toLowerCase();
    if (claimed && /^[a-z]{2}$/.test(claimed)) return claimed;
  }
  return regionOf(request);
}
