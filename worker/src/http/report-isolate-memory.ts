import { createMiddleware } from "hono/factory";
import { kernelMemoryBytes } from "../ann/workerd-kernel";
import { isolateCacheBytes } from "../cache/isolate-cache";
import { type AppEnv } from "./app-env";

/**
 * Reports in `Server-Timing` what this isolate holds once a request is
 * answered, in bytes: `isolate-memory;desc="cache=N,heads=N,kernel=N"`, the
 * cache entries and the version heads charged to the one budget
 * (cache-budget.ts) and the scan kernel's WASM memory. bench:serve reads it
 * beside the inspector's heap figures.
 */
export const reportIsolateMemory = createMiddleware<AppEnv>(async function reportIsolateMemory(c, next) {
  await next();
  const held = isolateCacheBytes();
  try {
    c.res.headers.append("Server-Timing", `isolate-memory;desc="cache=${held.entries},heads=${held.heads},kernel=${kernelMemoryBytes()}"`);
  } catch {
    // A response with immutable headers goes out without it.
  }
});
