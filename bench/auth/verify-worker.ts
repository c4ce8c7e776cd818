/**
 * A Worker for bench/auth-token.ts: signs a set of distinct user tokens
 * (`/sign?n=`), then verifies them all in one request (`/verify`), or does
 * nothing (`/noop`), so the workerd process's CPU across one request is the
 * verification code's cost alone on a warm isolate.
 */
import { signUserToken, verifyUserToken } from "../../shared/auth/user-token";

const key = { kid: "bench", secret: "bench-secret-bench-secret-bench-secret" };
let tokens: string[] = [];

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const nowS = Math.floor(Date.now() / 1000);
    if (url.pathname === "/sign") {
      const n = Number(url.searchParams.get("n") ?? 1000);
      tokens = await Promise.all(Array.from({ length: n }, (_, i) => signUserToken({ sub: `user-${i}`, aud: "bench", exp: nowS + 600 }, key)));
      return new Response(String(tokens.length));
    }
    if (url.pathname === "/verify") {
      let ok = 0;
      for (const token of tokens) if ((await verifyUserToken(token, [key], { audience: "bench", nowMs: Date.now(), maxLifetimeS: 3600 })).ok) ok++;
      return new Response(String(ok));
    }
    return new Response("0");
  },
};
