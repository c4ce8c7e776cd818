import { type ExposedUser, type VariantGuardCounts } from "./report";

/**
 * Exposed users from the per-user attribution hash (layout in
 * shared/online/redis-keys.ts, experimentUsersKey): field `<user>` is
 * "variant|region|firstMs"; `<user>|i`, `|pi`, `|pc`, `|e:<type>` are counts.
 */
export function parseUsersHash(hash: Record<string, string | number>): ExposedUser[] {
  const users = new Map<string, ExposedUser>();
  const counts: [string, string, number][] = [];
  for (const [field, raw] of Object.entries(hash)) {
    const bar = field.indexOf("|");
    if (bar < 0) {
      const [variant = "", region = "global"] = String(raw).split("|");
      users.set(field, { userId: field, variant, region, impressions: 0, events: {}, preImpressions: 0, preClicks: 0 });
    } else counts.push([field.slice(0, bar), field.slice(bar + 1), Number(raw)]);
  }
  for (const [userId, key, n] of counts) {
    const u = users.get(userId);
    if (!u) continue;
    if (key === "i") u.impressions = n;
    else if (key === "pi") u.preImpressions = n;
    else if (key === "pc") u.preClicks = n;
    else if (key.startsWith("e:")) u.events[key.slice(2)] = n;
  }
  return [...users.values()];
}

/** Guardrail counters per variant from the guard hash: `<variant>|n`, `|deg`, `|err`, `|t:<ms>`. */
export function parseGuardHash(hash: Record<string, string | number>): Map<string, VariantGuardCounts> {
  const out = new Map<string, VariantGuardCounts>();
  for (const [field, raw] of Object.entries(hash)) {
    const [variant = "", key = ""] = field.split("|");
    let g = out.get(variant);
    if (!g) out.set(variant, (g = { impressions: 0, degraded: 0, errors: 0, serverMs: new Map() }));
    const n = Number(raw);
    if (key === "n") g.impressions = n;
    else if (key === "deg") g.degraded = n;
    else if (key === "err") g.errors = n;
    else if (key.startsWith("t:")) g.serverMs.set(Number(key.slice(2)), n);
  }
  return out;
}
