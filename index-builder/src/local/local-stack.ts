import { createHash, randomBytes } from "node:crypto";
import { generateKey, PUBLISHABLE_KEY_PREFIX, SECRET_KEY_PREFIX } from "../../../shared/auth/secret-key";
import { signUserToken, type TokenKey } from "../../../shared/auth/user-token";
import { assertPortFree } from "./free-port";
import { applyLocalMigrations, type DevServer, startWranglerDev } from "./wrangler";
import { findRedisServer, type RedisServerHandle, startRedisServer } from "./redis-server";
import { startUpstashBridge, type UpstashBridge } from "./upstash-bridge";

export interface LocalStack {
  url: string;
  /** The run's secret key (servers, admin); the Worker holds only its SHA-256. */
  adminKey: string;
  /** The run's publishable key (browsers) and the origins it is bound to. */
  publishableKey: string;
  origins: string[];
  /** The secret user tokens are signed with, and their audience: what the customer's backend holds. */
  tokenKey: TokenKey;
  audience: string;
  /** The Worker's ERASURE_KEY (erased users are known by an HMAC under it); the builder's ingest needs it too. */
  erasureKey: string;
  /** A user token as the customer's backend would sign it, valid for `ttlS` seconds. */
  userToken(userId: string, ttlS?: number): Promise<string>;
  /** Null when Redis is off (redis-server not installed and not required). */
  redis: { url: string; token: string; server: RedisServerHandle } | null;
  dev: DevServer;
  /** Stops and starts wrangler dev again (same port, state and bindings): a cold isolate; with the devtools inspector on `inspectorPort` when given. */
  restartWorker(options?: { inspectorPort?: number }): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  port: number;
  /** Local state directory for KV, D1 and Durable Objects (wrangler's default when absent). */
  persistTo?: string;
  /** "required" fails without redis-server; "optional" serves without Redis and says so. */
  redis: "required" | "optional";
  /** The secret key (generated when absent). */
  adminKey?: string;
  /** Origins the publishable key may be used from (default: a local page on port 8080); the Worker's own is always added. */
  origins?: string[];
  /** Redis keeps its data across restarts (append-only file). */
  persistentRedis?: boolean;
  /** Redis's directory, kept after stop (a temporary one, removed on stop, when absent): with `persistentRedis`, a later stack on it finds the data. */
  redisDir?: string;
  /** The Worker's ERASURE_KEY (generated when absent): a stack that keeps Redis's erasure list between runs must keep the key its tags are made with. */
  erasureKey?: string;
  inherit?: boolean;
  log?: (line: string) => void;
  /** More Worker vars (e.g. TRUST_REGION_HEADER for a bench that plays users from several countries). */
  vars?: Record<string, string>;
}

const DEFAULT_ORIGINS = ["http://localhost:8080", "http://127.0.0.1:8080"];
const LOCAL_AUDIENCE = "edge-recommender";

/**
 * Starts what the Worker needs on this machine: D1 migrations applied,
 * redis-server with the Upstash-protocol bridge in front of it, then
 * `wrangler dev` wired to both. `stop()` ends all of it.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  await assertPortFree(options.port);
  const adminKey = options.adminKey ?? generateKey(SECRET_KEY_PREFIX);
  const publishableKey = generateKey(PUBLISHABLE_KEY_PREFIX);
  // The Worker's own origin too: the playground it serves at /playground calls the API with this key.
  const origins = [...(options.origins ?? DEFAULT_ORIGINS), `http://127.0.0.1:${options.port}`];
  const tokenKey: TokenKey = { kid: "local", secret: randomBytes(32).toString("base64url") };
  const erasureKey = options.erasureKey ?? randomBytes(32).toString("base64url");
  await applyLocalMigrations(options.persistTo);
  log("D1 migrations applied");

  let server: RedisServerHandle | null = null;
  let bridge: UpstashBridge | null = null;
  const token = randomBytes(18).toString("base64url");
  const stopRedis = async () => {
    await bridge?.close();
    await server?.stop();
  };
  if (findRedisServer()) {
    server = await startRedisServer({
      persistent: options.persistentRedis ?? false,
      dir: options.redisDir,
      onExit: (how) => log(`WARNING: redis-server ${how}: the event stream, trending counters and erasure records fail until this stack starts again`),
      log,
    });
    bridge = await startUpstashBridge({ redisHost: server.host, redisPort: server.port, token });
    log(`redis-server on 127.0.0.1:${server.port}, Upstash REST bridge on ${bridge.url}`);
  } else if (options.redis === "required") {
    throw new Error("redis-server is not installed; install it with: apt-get install -y redis-server");
  } else {
    log("redis-server not found: Redis features (trending counters) are OFF. Install it with: apt-get install -y redis-server");
  }

  const devOptions = {
    port: options.port,
    persistTo: options.persistTo,
    inherit: options.inherit,
    vars: {
      API_REFERENCE: "1",
      ...options.vars,
      SECRET_KEY_HASHES: createHash("sha256").update(adminKey).digest("hex"),
      USER_TOKEN_SECRETS: `${tokenKey.kid}:${tokenKey.secret}`,
      PUBLISHABLE_KEYS: JSON.stringify({ [publishableKey]: origins }),
      TOKEN_AUDIENCE: LOCAL_AUDIENCE,
      UPSTASH_REDIS_REST_URL: bridge?.url ?? "",
      UPSTASH_REDIS_REST_TOKEN: bridge ? token : "",
      ERASURE_KEY: erasureKey,
    },
  };
  let dev: DevServer;
  try {
    dev = await startWranglerDev(devOptions);
  } catch (err) {
    await stopRedis();
    throw err;
  }
  const stack: LocalStack = {
    url: dev.url,
    adminKey,
    publishableKey,
    origins,
    tokenKey,
    audience: LOCAL_AUDIENCE,
    erasureKey,
    userToken: (userId, ttlS = 3600) => {
      const nowS = Math.floor(Date.now() / 1000);
      return signUserToken({ sub: userId, aud: LOCAL_AUDIENCE, exp: nowS + ttlS, iat: nowS }, tokenKey);
    },
    redis: server && bridge ? { url: bridge.url, token, server } : null,
    dev,
    restartWorker: async (restart = {}) => {
      await stack.dev.stop();
      stack.dev = await startWranglerDev({ ...devOptions, ...restart });
    },
    stop: async () => {
      await stack.dev.stop();
      await stopRedis();
    },
  };
  return stack;
}
