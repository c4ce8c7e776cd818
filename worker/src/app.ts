import { Hono } from "hono";
import { cors } from "hono/cors";
import { experimentsAdmin } from "./experiments/admin-routes";
import { historiesAdmin } from "./routes/histories";
import { erasuresAdmin } from "./privacy/erasure-routes";
import { secureHeaders } from "hono/secure-headers";
import { authConfig } from "./auth/auth-config";
import { authenticate } from "./auth/authenticate";
import { type AppEnv } from "./http/app-env";
import { bodyLimits } from "./http/body-limits";
import { methodNotAllowed, withoutTrailingSlash } from "./http/method-not-allowed";
import { notFound, onError } from "./http/on-error";
import { requestMetrics } from "./http/metrics";
import { requestId } from "./http/request-id";
import { admin } from "./routes/admin";
import { anonymous } from "./routes/anonymous";
import { events } from "./routes/events";
import { health } from "./routes/health";
import { openApi } from "./routes/openapi";
import { itemsRoute } from "./routes/items";
import { recommendations } from "./routes/recommendations";
import { similarRoute } from "./routes/similar";
import { trending } from "./routes/trending";
import { users } from "./routes/users";

/** How long browsers may reuse a preflight answer. */
const PREFLIGHT_MAX_AGE_S = 7200;

/**
 * Builds the HTTP app: the public API under /v1 (a key on every call, CORS
 * for the publishable keys' origins only), publication and audits under
 * /admin (secret keys, no CORS), liveness at /health/live.
 */
export function createApp() {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(requestMetrics());
  app.use(
    secureHeaders({
      // JSON only: nothing here may run script, load anything or be framed.
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      xFrameOptions: "DENY",
    }),
  );
  app.use(
    "/v1/*",
    cors({
      origin: (origin, c) => (authConfig(c.env as Env).allowedOrigins.has(origin) ? origin : null),
      allowMethods: ["GET", "POST", "PUT", "DELETE"],
      allowHeaders: ["Content-Type", "Authorization", "X-Api-Key", "X-Request-Id"],
      exposeHeaders: ["X-Request-Id", "Server-Timing", "X-Cache", "Retry-After"],
      maxAge: PREFLIGHT_MAX_AGE_S,
    }),
  );
  app.use(bodyLimits());
  app.use("/v1/*", authenticate());
  // Chained, so the routes' types reach hono/client (client/index.ts) through AppType.
  const routes = app
    .route("/", openApi)
    .route("/health", health)
    .route("/v1/recommendations", recommendations)
    .route("/v1/events", events)
    .route("/v1/anonymous", anonymous)
    .route("/v1/items", similarRoute)
    .route("/v1/items", itemsRoute)
    .route("/v1/users", users)
    .route("/v1/trending", trending)
    .route("/admin/experiments", experimentsAdmin)
    .route("/admin/erasures", erasuresAdmin)
    .route("/admin/histories", historiesAdmin)
    .route("/admin", admin);
  app.notFound((c) => {
    const wrongMethod = methodNotAllowed(app.routes, c);
    return wrongMethod ? onError(wrongMethod, c) : notFound(c, withoutTrailingSlash(app.routes, c));
  });
  app.onError(onError);
  return routes;
}

/** The app's routes with their inputs and outputs, for hono/client (client/index.ts). */
export type AppType = ReturnType<typeof createApp>;
