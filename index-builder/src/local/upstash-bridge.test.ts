import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findRedisServer, startRedisServer, type RedisServerHandle } from "./redis-server";
import { RespClient } from "./resp";
import { startUpstashBridge, type UpstashBridge } from "./upstash-bridge";

const TOKEN = "local-test-token";
const UNICODE = "héllo wörld — 日本語 🚀 \u0000\u0001\u007f";
const errorOf = async (res: Response): Promise<string> => ((await res.json()) as { error: string }).error;
const TRICKY = ["OK", "T0s=", "", "123", "null", "true", '{"a":1}', "x".repeat(300_000)];

describe.skipIf(findRedisServer() === null)("upstash bridge against a real redis-server", () => {
  let redis: RedisServerHandle;
  let bridge: UpstashBridge;
  let clients: Array<[string, Redis]>;

  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${bridge.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    redis = await startRedisServer();
    bridge = await startUpstashBridge({ redisHost: redis.host, redisPort: redis.port, token: TOKEN });
    const common = { url: bridge.url, token: TOKEN, retry: false as const, enableTelemetry: false };
    clients = [
      ["base64, auto-pipelined", new Redis(common)],
      ["base64, single requests", new Redis({ ...common, enableAutoPipelining: false })],
      ["plain, auto-pipelined", new Redis({ ...common, responseEncoding: false })],
      ["plain, single requests", new Redis({ ...common, responseEncoding: false, enableAutoPipelining: false })],
    ];
  });

  afterAll(async () => {
    await bridge?.close();
    await redis?.stop();
  });

  it("round-trips unicode and awkward strings with every client mode", async () => {
    for (const [mode, client] of clients) {
      await client.del("u");
      expect(await client.set("u", UNICODE), mode).toBe("OK");
      expect(await client.get("u"), mode).toBe(UNICODE);
      for (const value of TRICKY) {
        await client.set("t", value);
        const expected = value === "" || value.startsWith("x") || value === "T0s=" || value === "OK" ? value : JSON.parse(value);
        expect(await client.get("t"), `${mode}: ${value.slice(0, 20)}`).toEqual(expected);
      }
      expect(await client.get("missing"), mode).toBeNull();
      expect(await client.ping(), mode).toBe("PONG");
    }
    // The default client batches commands through /pipeline; make sure that path was exercised.
    expect((clients[0]?.[1] as unknown as { pipelineCounter: number }).pipelineCounter).toBeGreaterThan(0);
  });

  it("returns raw bytes as base64 so binary values are exact", async () => {
    const resp = await RespClient.connect(redis.host, redis.port);
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0d, 0x0a, 0xc3]);
    await resp.send(["SET", "bin", bytes]);
    await resp.close();
    const res = await post("/", ["GET", "bin"], { "Upstash-Encoding": "base64" });
    expect(await res.json()).toEqual({ result: bytes.toString("base64") });
    const ok = await post("/", ["set", "k", true], { "Upstash-Encoding": "base64" });
    expect(await ok.json()).toEqual({ result: "OK" });
    const pong = await post("/", ["ping"], { "Upstash-Encoding": "base64" });
    expect(await pong.json()).toEqual({ result: Buffer.from("PONG").toString("base64") });
    const arr = await post("/", ["mget", "k", "nope"], { "Upstash-Encoding": "base64" });
    expect(await arr.json()).toEqual({ result: [Buffer.from("true").toString("base64"), null] });
  });

  it("handles counters, sorted sets, hashes and streams", async () => {
    for (const [mode, client] of clients) {
      await client.del("n", "z", "h", "s");
      expect(await client.incr("n"), mode).toBe(1);
      expect(await client.incrby("n", 41), mode).toBe(42);
      expect(await client.zincrby("z", 2.5, "m1"), mode).toBe(2.5);
      expect(await client.zincrby("z", 1, "m2"), mode).toBe(1);
      expect(await client.zrange("z", 0, -1, { withScores: true }), mode).toEqual(["m2", 1, "m1", 2.5]);
      expect(await client.zrange("z", 0, -1, { rev: true }), mode).toEqual(["m1", "m2"]);
      expect(await client.hset("h", { a: 1, b: "två", c: { nested: [1, 2] } }), mode).toBe(3);
      expect(await client.hgetall("h"), mode).toEqual({ a: 1, b: "två", c: { nested: [1, 2] } });
      const id1 = await client.xadd("s", "*", { item: "i1", score: 3 });
      const id2 = await client.xadd("s", "*", { item: "ünï", score: 4 });
      expect(id1, mode).toMatch(/^\d+-\d+$/);
      expect(await client.xrange("s", "-", "+"), mode).toEqual({
        [id1]: { item: "i1", score: 3 },
        [id2]: { item: "ünï", score: 4 },
      });
    }
  });

  it("runs pipelines and transactions", async () => {
    for (const [mode, client] of clients) {
      await client.del("p");
      const p = client.pipeline();
      p.set("p", 1).incr("p").get("p").zadd("pz", { score: 1, member: "a" }).zrange("pz", 0, -1, { withScores: true });
      expect(await p.exec(), mode).toEqual(["OK", 2, 2, expect.any(Number), ["a", 1]]);
      const m = client.multi();
      m.set("p", "x").get("p").incr("p").del("p");
      await expect(m.exec(), mode).rejects.toThrow(/Command 3 \[ incr \] failed: ERR value is not an integer/);
      const m2 = client.multi();
      m2.set("p", "x").get("p").incr("p").del("p");
      const kept = await m2.exec({ keepErrors: true });
      expect(
        kept.map((r) => r.error),
        mode,
      ).toEqual([undefined, undefined, expect.stringMatching(/not an integer/), undefined]);
      expect(
        kept.map((r) => r.result),
        mode,
      ).toEqual(["OK", "x", undefined, 1]);
    }
  });

  it("surfaces Redis errors as thrown client errors", async () => {
    for (const [mode, client] of clients) {
      await client.set("e", "not a number");
      await expect(client.incr("e"), mode).rejects.toThrow(/ERR value is not an integer/);
    }
    const res = await post("/", ["INCR", "e"]);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: expect.stringMatching(/^ERR value is not an integer/) });
    const piped = await post("/pipeline", [
      ["INCR", "e"],
      ["GET", "e"],
    ]);
    expect(piped.status).toBe(200);
    expect(await piped.json()).toEqual([{ error: expect.stringMatching(/^ERR/) }, { result: "not a number" }]);
    const aborted = await post("/multi-exec", [["SET", "e", "1"], ["NOSUCHCMD"]]);
    expect(aborted.status).toBe(400);
    expect(await errorOf(aborted)).toMatch(/EXECABORT.*unknown command/);
  });

  it("rejects bad requests", async () => {
    const wrong = await fetch(bridge.url, { method: "POST", headers: { authorization: "Bearer nope" }, body: '["PING"]' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: "Unauthorized" });
    expect((await fetch(bridge.url, { method: "POST", body: '["PING"]' })).status).toBe(401);
    await expect(new Redis({ url: bridge.url, token: "wrong", retry: false }).get("a")).rejects.toThrow(/Unauthorized/);
    const get = await fetch(bridge.url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(get.status).toBe(405);
    for (const body of ["{not json", '{"a":1}', "[]", '[["GET"], "x"]', '[{"x":1}]']) {
      const res = await post(body.startsWith("[[") ? "/pipeline" : "/", body);
      expect(res.status, body).toBe(400);
      expect(await errorOf(res), body).toMatch(/^ERR /);
    }
    expect((await post("/", ["BLPOP", "q", "0"])).status).toBe(400);
    expect((await post("/nope", ["PING"])).status).toBe(404);
  });

  it("fails fast while redis is down and recovers after a restart", async () => {
    const [, client] = clients[1] as [string, Redis];
    expect(await client.set("r", "before")).toBe("OK");
    await redis.stop();
    await expect(client.get("r")).rejects.toThrow(/Redis unavailable/);
    const res = await post("/pipeline", [["PING"]]);
    expect(res.status).toBe(502);
    expect(await errorOf(res)).toMatch(/Redis unavailable/);
    await redis.restart();
    expect(await client.set("r", "after")).toBe("OK");
    for (const [mode, c] of clients) expect(await c.get("r"), mode).toBe("after");
  });
});
