import { createMiddleware } from "hono/factory";
import { AppError } from "../../../shared/errors";
import { type AppEnv } from "./app-env";

/**
 * Guards everything that writes the index or the catalog: the caller must send
 * `Authorization: Bearer <ADMIN_KEY>`. With no key configured, nothing passes.
 */
export function adminAuth() {
  return createMiddleware<AppEnv>(async function adminAuthMiddleware(c, next) {
    const expected = c.env.ADMIN_KEY;
    if (!expected) throw new AppError("unauthorized", "admin API disabled: the ADMIN_KEY secret is not set");
    const header = c.req.header("authorization") ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7) : "";
    if (!(await sameSecret(given, expected))) {
      throw new AppError("unauthorized", "admin key missing or wrong: send Authorization: Bearer <ADMIN_KEY>");
    }
    await next();
  });
}

/** Compares digests byte by byte without early exit, so timing says nothing about the key. */
async function sameSecret(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(a)),
    crypto.subtle.digest("SHA-256", enc.encode(b)),
  ]);
  const x = new Uint8Array(da);
  const y = new Uint8Array(db);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
