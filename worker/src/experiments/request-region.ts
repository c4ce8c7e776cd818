import { regionOf } from "../http/region";

/**
 * The caller's region as the experiments see it: Cloudflare's country, or,
 * only when TRUST_REGION_HEADER is "1" (local benches; never in production,
 * where it would let a client pick its allocation), the X-Region header.
 */
export function requestRegion(env: Env, request: Request): string {
  if (env.TRUST_REGION_HEADER === "1") {
    const claimed = request.headers.get("x-region");
    if (claimed && /^[a-z]{2}$/.test(claimed)) return claimed;
  }
  return regionOf(request);
}
