import { type Context } from "hono";
import { AppError } from "../../../shared/errors";
import { type AppEnv } from "./app-env";

/**
 * For a path no route matched: a 405 naming the methods its path does take
 * (from the app's own route table), or null when no route has the path.
 */
export function methodNotAllowed(routes: readonly { method: string; path: string }[], c: Context<AppEnv>): AppError | null {
  const path = c.req.path.replace(/\/+$/, "") || "/";
  const allowed = new Set<string>();
  for (const route of routes) {
    if (route.method === "ALL" || route.path.includes("*")) continue;
    if (routePattern(route.path).test(path)) allowed.add(route.method);
  }
  if (allowed.size === 0) return null;
  const allow = [...allowed].sort().join(", ");
  return new AppError("method_not_allowed", `${c.req.method} is not allowed here; use ${allow}`, { allow });
}

const patterns = new Map<string, RegExp>();

function routePattern(path: string): RegExp {
  let pattern = patterns.get(path);
  if (!pattern) {
    const body = (path.replace(/\/+$/, "") || "/")
      .split("/")
      .map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    pattern = new RegExp(`^${body}$`);
    patterns.set(path, pattern);
  }
  return pattern;
}
