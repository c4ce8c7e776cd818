/** The caller's country from Cloudflare's edge metadata, lower-cased; "global" when unknown (e.g. locally). */
export function regionOf(request: Request): string {
  const country = (request as Request & { cf?: { country?: unknown } }).cf?.country;
  return typeof country === "string" && /^[A-Z]{2}$/.test(country) ? country.toLowerCase() : "global";
}
