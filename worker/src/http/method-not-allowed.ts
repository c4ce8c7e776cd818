import { type Context } from "hono";
import { AppError } from "../../../shared/errors";
import { type AppEnv } from "./app-env";

type Routes = readonly { method: string; path: string }[];

/** The methods routes take at exactly this path. */
function methodsAt(routes: Routes, path: string): Set<string> {
  const allowed = new Set<string>();
  for (const route of routes) {
    if (route.method === "ALL" || route.path.includes("*")) continue;
    if (routePattern(route.path).test(path)) allowed.add(route.method);
  }
  return allowed;
}

/**
 * For a path no route matched: a 405 naming the methods its path does take
 * (from the app's own route table), or null when no route has the path.
 */
export function methodNotAllowed(routes: Routes, c: Context<AppEnv>): AppError | null {
  const allowed = methodsAt(routes, c.req.path);
  if (allowed.size === 0) return null;
  const allow = [...allowed].sort().join(", ");
  return new AppError("method_not_allowed", `${c.req.method} is not allowed here; use ${allow}`, { allow });
}

/**
 * For a path no route has: the route path it names with its trailing slash
 * dropped, when one exists (routes match exactly, so `/v1/trending/` is not
 * `/v1/trending`), for the 404's message; else null.
 */
export function withoutTrailingSlash(routes: Routes, c: Context<AppEnv>): string | null {
  if (!/.\/+$/.test(c.req.path)) return null;
  const path = c.req.path.replace(/\/+$/, "");
  return methodsAt(routes, path).size > 0 ? path : null;
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
