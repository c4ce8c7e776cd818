import { Hono } from "hono";
import { newAnonymousId, signAnonymousToken } from "../auth/anonymous-id";
import { authConfig } from "../auth/auth-config";
import { enforceLimit } from "../auth/rate-limit";
import { type AppEnv } from "../http/app-env";

/**
 * `POST /v1/anonymous`: a signed anonymous id for a visitor who has not
 * logged in, so they are personalized from their first event. Sent with a
 * still-valid anonymous token, it renews that id instead. An expired one is
 * refused by authentication (401 `invalid_token`, reason `expired`) with the
 * advice to call again without it: renewing after expiry would let a token
 * leaked from a page's storage live forever, so its id is gone. Issuance is rate
 * limited per key and client: made-up users are what trending poisoning
 * needs.
 */
export const anonymous = new Hono<AppEnv>().post("/", async (c) => {
  const caller = c.get("caller");
  if (caller.kind === "publishable") await enforceLimit(c.env.ANONYMOUS_RATE_LIMIT, `${caller.key}|${caller.client}`, "anonymous ids from this client");
  const renewing = caller.kind === "publishable" && caller.anonymous && caller.userId !== null;
  const userId = renewing ? caller.userId! : newAnonymousId();
  const { token, expiresAt } = await signAnonymousToken(authConfig(c.env), userId, Date.now());
  return c.json({ userId, token, expiresAt, renewed: renewing }, renewing ? 200 : 201);
});
