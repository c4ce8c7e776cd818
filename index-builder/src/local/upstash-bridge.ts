import http from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { RespClient, RespError, type RespValue } from "./resp";

/** Options for {@link startUpstashBridge}. */
export interface UpstashBridgeOptions {
  redisHost: string;
  redisPort: number;
  /** Bearer token clients must send, as with a real Upstash database. */
  token: string;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port to listen on (default 0: any free port). */
  port?: number;
}

/** A running bridge; pass `url` and the token to `new Redis({ url, token })`. */
export interface UpstashBridge {
  url: string;
  port: number;
  close(): Promise<void>;
}

type Json = string | number | null | Json[];
type Reply = { status: number; body: unknown };

class BadRequest extends Error {}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

// These change the state of the shared connection, or block it, which would corrupt or stall other requests.
const UNSUPPORTED = new Set(
  (
    "MULTI EXEC DISCARD WATCH UNWATCH SELECT SUBSCRIBE PSUBSCRIBE SSUBSCRIBE UNSUBSCRIBE PUNSUBSCRIBE " +
    "SUNSUBSCRIBE MONITOR QUIT RESET HELLO AUTH CLIENT SYNC PSYNC BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP " +
    "BZPOPMIN BZPOPMAX BZMPOP WAIT"
  ).split(" "),
);

/**
 * Serves Upstash's REST protocol (`POST /`, `/pipeline`, `/multi-exec`) on top of a plain
 * redis-server, so `@upstash/redis` can be used against a local Redis. The Redis connection is
 * opened lazily and re-opened on the next request after it drops.
 */
export async function startUpstashBridge(options: UpstashBridgeOptions): Promise<UpstashBridge> {
  const { redisHost, redisPort, host = "127.0.0.1", port = 0 } = options;
  const expectedAuth = Buffer.from(`Bearer ${options.token}`);
  let client: RespClient | undefined;
  let connecting: Promise<RespClient> | undefined;
  let closing = false;

  const getClient = (): Promise<RespClient> => {
    if (closing) return Promise.reject(new Error("bridge is closing"));
    if (client && !client.closed) return Promise.resolve(client);
    connecting ??= RespClient.connect(redisHost, redisPort)
      .then((c) => (client = c))
      .finally(() => (connecting = undefined));
    return connecting;
  };

  const handle = async (req: http.IncomingMessage): Promise<Reply> => {
    const auth = Buffer.from(req.headers.authorization ?? "");
    if (auth.length !== expectedAuth.length || !timingSafeEqual(auth, expectedAuth)) {
      return { status: 401, body: { error: "Unauthorized" } };
    }
    if (req.method !== "POST") return { status: 405, body: { error: "Method Not Allowed: use POST" } };
    const route = new URL(req.url ?? "/", "http://bridge").pathname.replace(/\/+$/, "") || "/";
    if (route !== "/" && route !== "/pipeline" && route !== "/multi-exec") {
      return { status: 404, body: { error: `Not Found: ${route}` } };
    }
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    const payload = parseJson(await readBody(req));
    const commands = route === "/" ? [toCommand(payload)] : toCommandList(payload);
    let redis: RespClient;
    try {
      redis = await getClient();
    } catch (err) {
      return unavailable(err);
    }
    try {
      if (route === "/") {
        const value = await redis.send(commands[0] as string[]);
        if (value instanceof RespError) return { status: 400, body: { error: value.error } };
        return { status: 200, body: { result: toJson(value, base64, 0) } };
      }
      if (route === "/pipeline") {
        // All writes happen synchronously here, so the batch is contiguous on the wire.
        const values = await Promise.all(commands.map((c) => redis.send(c)));
        return { status: 200, body: values.map((v) => entry(v, base64)) };
      }
      const sent = [redis.send(["MULTI"]), ...commands.map((c) => redis.send(c)), redis.send(["EXEC"])];
      const values = await Promise.all(sent);
      const exec = values[values.length - 1];
      if (exec instanceof RespError) {
        const cause = values.find((v) => v instanceof RespError && v !== exec) as RespError | undefined;
        return { status: 400, body: { error: cause ? `${exec.error} (${cause.error})` : exec.error } };
      }
      if (!Array.isArray(exec)) return { status: 400, body: { error: "EXECABORT Transaction aborted" } };
      return { status: 200, body: exec.map((v) => entry(v, base64)) };
    } catch (err) {
      return unavailable(err);
    }
  };

  const server = http.createServer((req, res) => {
    handle(req)
      .catch((err: unknown): Reply => {
        if (err instanceof BadRequest) return { status: 400, body: { error: err.message } };
        return { status: 500, body: { error: `ERR bridge failure: ${String(err)}` } };
      })
      .then(({ status, body }) => {
        res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const actualPort = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${actualPort}`,
    port: actualPort,
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await client?.close();
    },
  };
}

function unavailable(err: unknown): Reply {
  const message = err instanceof Error ? err.message : String(err);
  return { status: 502, body: { error: `ERR Redis unavailable: ${message}` } };
}

function entry(value: RespValue, base64: boolean): { result: Json } | { error: string } {
  return value instanceof RespError ? { error: value.error } : { result: toJson(value, base64, 0) };
}

/**
 * Mirrors Upstash's encoding. With base64 the client's decode() leaves a top-level "OK" alone
 * and base64-decodes every other string, so simple strings must be encoded too (else "PONG"
 * would decode to garbage). Inside arrays even "OK" is decoded, so only the top level is exempt.
 */
function toJson(value: RespValue, base64: boolean, depth: number): Json {
  if (value === null || typeof value === "number") return value;
  if (Array.isArray(value)) return value.map((v) => toJson(v, base64, depth + 1));
  // A nested error (e.g. from a Lua table) has no Upstash encoding; pass its message as a string.
  const text = value instanceof RespError ? value.error : value;
  if (!base64) return typeof text === "string" ? text : text.toString("utf8");
  if (depth === 0 && text === "OK") return "OK";
  return (typeof text === "string" ? Buffer.from(text, "utf8") : text).toString("base64");
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`ERR request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest("ERR failed to parse request body as JSON");
  }
}

function toCommand(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new BadRequest("ERR command must be a non-empty JSON array");
  const args = raw.map((a: unknown) => {
    if (typeof a === "string" || typeof a === "number" || typeof a === "boolean") return String(a);
    throw new BadRequest("ERR command arguments must be strings, numbers or booleans");
  });
  const name = (args[0] as string).toUpperCase();
  if (UNSUPPORTED.has(name)) throw new BadRequest(`ERR command '${name}' is not supported by the local Upstash bridge`);
  const streamsAt = args.findIndex((a) => a.toUpperCase() === "STREAMS");
  const xOptions = args.slice(1, streamsAt < 0 ? undefined : streamsAt).map((a) => a.toUpperCase());
  if ((name === "XREAD" || name === "XREADGROUP") && xOptions.includes("BLOCK")) {
    throw new BadRequest(`ERR blocking ${name} is not supported by the local Upstash bridge`);
  }
  args[0] = name;
  return args;
}

function toCommandList(raw: unknown): string[][] {
  if (!Array.isArray(raw) || raw.length === 0) throw new BadRequest("ERR body must be a non-empty JSON array of commands");
  return raw.map(toCommand);
}
