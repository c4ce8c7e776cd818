import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisSeededDigests } from "../publish/seed-histories";
import { findRedisServer, liveServerOn, type RedisServerHandle, startRedisServer } from "../local/redis-server";
import { startUpstashBridge, type UpstashBridge } from "../local/upstash-bridge";
import { freePort } from "../local/free-port";
import { erasureListOf } from "./erasures";
import { redisClient } from "./redis-client";
import { ingestFromRedis } from "./redis-stream";

const TOKEN = "test-token";

/** A real redis-server behind the Upstash bridge, frozen with SIGSTOP: it accepts connections and never answers. */
describe.skipIf(findRedisServer() === null)("the builder's Redis client against a frozen Redis", () => {
  let dir: string;
  let server: RedisServerHandle;
  let bridge: UpstashBridge;
  let pid: number;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "redis-frozen-"));
    server = await startRedisServer({ dir: join(dir, "redis") });
    pid = (await liveServerOn(join(dir, "redis")))!;
    bridge = await startUpstashBridge({ redisHost: server.host, redisPort: server.port, token: TOKEN });
    // Answers while it runs.
    expect(await redisClient({ url: bridge.url, token: TOKEN }).ping()).toBe("PONG");
    process.kill(pid, "SIGSTOP");
  });
  afterAll(async () => {
    if (pid) process.kill(pid, "SIGCONT");
    await bridge?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const access = () => ({ url: bridge.url, token: TOKEN, timeoutMs: 1000 });
  const host = () => new URL(bridge.url).host;
  /** How long `run` took to fail, and its error. */
  async function failure(run: () => Promise<unknown>): Promise<{ ms: number; message: string }> {
    const started = Date.now();
    const message = await run().then(
      () => "(it answered)",
      (err: unknown) => String(err),
    );
    return { ms: Date.now() - started, message };
  }

  it("fails ingest within its timeout, naming Redis and the URL's host", async () => {
    const { ms, message } = await failure(() => ingestFromRedis({ ...access(), outFile: join(dir, "events.jsonl"), cursorFile: join(dir, "cursor") }));
    expect(message).toContain(`Redis at ${host()} did not answer within 1 s`);
    expect(message).not.toContain(TOKEN);
    expect(ms).toBeLessThan(4000);
  });

  it("bounds the erasure list's read and the seeding digests the same way", async () => {
    for (const run of [() => erasureListOf(access(), undefined), () => redisSeededDigests(access()).read(["1", "2"])]) {
      const { ms, message } = await failure(run);
      expect(message).toContain(`Redis at ${host()} did not answer within 1 s`);
      expect(ms).toBeLessThan(4000);
    }
  });

  it("names Redis and the host when nothing listens there, after bounded retries", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { ms, message } = await failure(() => redisClient({ url, token: TOKEN, timeoutMs: 3000 }).get("k"));
    expect(message).toContain(`Redis at ${new URL(url).host} could not be reached: fetch failed`);
    expect(ms).toBeLessThan(3000);
  });
});
