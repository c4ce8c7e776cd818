import { Hono } from "hono";
import { cors } from "hono/cors";
import { experimentsAdmin } from "./experiments/admin-routes";
import { type AppEnv } from "./http/app-env";
import { notFound, onError } from "./http/on-error";
import { requestId } from "./http/request-id";
import { admin } from "./routes/admin";
import { events } from "./routes/events";
import { health } from "./routes/health";
import { itemsRoute } from "./routes/items";
import { recommendations } from "./routes/recommendations";
import { similarRoute } from "./routes/similar";
import { trending } from "./routes/trending";
import { users } from "./routes/users";

/** Builds the HTTP app: public API under /v1, publication under /admin. */
export function createApp() {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(
    cors({
      origin: (origin, c) => allowedOrigin(origin, (c.env as Env).CORS_ALLOWED_ORIGINS),
      allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
      allowHeaders: ["Content-Type", "Authorization", "X-Request-Id"],
      exposeHeaders: ["X-Request-Id", "Server-Timing", "X-Cache"],
      maxAge: 600,
    }),
  );
  app.route("/health", health);
  app.route("/v1/recommendations", recommendations);
  app.route("/v1/events", events);
  app.route("/v1/items", similarRoute);
  app.route("/v1/items", itemsRoute);
  app.route("/v1/users", users);
  app.route("/v1/trending", trending);
  app.route("/admin/experiments", experimentsAdmin);
  app.route("/admin", admin);
  app.notFound(notFound);
  app.onError(onError);
  return app;
}

/** `*` allows any origin; otherwise a comma-separated list of exact origins. */
function allowedOrigin(origin: string, configured: string): string | null {
  const allowed = configured.split(",").map((s) => s.trim()).filter(Boolean);
  if (allowed.includes("*")) return "*";
  return allowed.includes(origin) ? origin : null;
}
