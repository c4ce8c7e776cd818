import net from "node:net";
import type { AddressInfo } from "node:net";
import { describe, it, expect } from "vitest";
import { RespClient, RespError, RespParser, encodeCommand, type RespValue } from "./resp";

const b = (s: string): Buffer => Buffer.from(s, "utf8");

// Each case: wire bytes and the value they must parse to.
const CASES: Array<[string, Buffer, RespValue]> = [
  ["simple string", b("+OK\r\n"), "OK"],
  ["empty simple string", b("+\r\n"), ""],
  ["error", b("-ERR value is not an integer or out of range\r\n"), new RespError("ERR value is not an integer or out of range")],
  ["integer", b(":42\r\n"), 42],
  ["negative integer", b(":-7\r\n"), -7],
  ["bulk string", b("$5\r\nhello\r\n"), b("hello")],
  ["empty bulk string", b("$0\r\n\r\n"), b("")],
  ["bulk with CRLF inside", b("$4\r\n\r\n\r\n\r\n"), b("\r\n\r\n")],
  ["binary bulk", Buffer.concat([b("$4\r\n"), Buffer.from([0, 0xff, 0x0d, 0x80]), b("\r\n")]), Buffer.from([0, 0xff, 0x0d, 0x80])],
  ["unicode bulk", Buffer.concat([b(`$${b("héllo 🚀").length}\r\n`), b("héllo 🚀"), b("\r\n")]), b("héllo 🚀")],
  ["null bulk", b("$-1\r\n"), null],
  ["null array", b("*-1\r\n"), null],
  ["empty array", b("*0\r\n"), []],
  ["flat array", b("*3\r\n$1\r\na\r\n:2\r\n+c\r\n"), [b("a"), 2, "c"]],
  [
    "nested array",
    b("*2\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*3\r\n*0\r\n$-1\r\n*1\r\n*-1\r\n"),
    [
      [b("1-0"), [b("f"), b("v")]],
      [[], null, [null]],
    ],
  ],
  ["array with error", b("*2\r\n-ERR boom\r\n:1\r\n"), [new RespError("ERR boom"), 1]],
];

const ALL_BYTES = Buffer.concat(CASES.map(([, wire]) => wire));
const ALL_VALUES = CASES.map(([, , value]) => value);

function parseInChunks(bytes: Buffer, cuts: number[]): RespValue[] {
  const parser = new RespParser();
  const out: RespValue[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...parser.feed(bytes.subarray(start, cut)));
    start = cut;
  }
  return out;
}

describe("RespParser", () => {
  it.each(CASES)("parses %s in one chunk", (_name, wire, value) => {
    expect(new RespParser().feed(wire)).toEqual([value]);
  });

  it.each(CASES)("parses %s split at every byte boundary", (_name, wire, value) => {
    for (let cut = 0; cut <= wire.length; cut++) {
      expect(parseInChunks(wire, [cut]), `cut at ${cut}`).toEqual([value]);
    }
  });

  it("parses a stream of all replies split at every position, and at every pair of positions", () => {
    for (let i = 0; i <= ALL_BYTES.length; i++) {
      expect(parseInChunks(ALL_BYTES, [i]), `cut at ${i}`).toEqual(ALL_VALUES);
    }
    for (let i = 0; i <= ALL_BYTES.length; i += 3) {
      for (let j = i; j <= ALL_BYTES.length; j += 5) {
        expect(parseInChunks(ALL_BYTES, [i, j]), `cuts at ${i},${j}`).toEqual(ALL_VALUES);
      }
    }
  });

  it("parses the stream fed one byte at a time", () => {
    const cuts = Array.from({ length: ALL_BYTES.length }, (_, i) => i);
    expect(parseInChunks(ALL_BYTES, cuts)).toEqual(ALL_VALUES);
  });

  it("returns nothing until a reply is complete, then everything at once", () => {
    const parser = new RespParser();
    expect(parser.feed(b("*2\r\n$3\r\nfo"))).toEqual([]);
    expect(parser.feed(b("o\r\n"))).toEqual([]);
    expect(parser.feed(b(":1\r\n+OK\r\n:5"))).toEqual([[b("foo"), 1], "OK"]);
    expect(parser.feed(b("\r\n"))).toEqual([5]);
  });

  it("rejects an unknown type byte and a malformed integer", () => {
    expect(() => new RespParser().feed(b("?what\r\n"))).toThrow(/protocol error/);
    expect(() => new RespParser().feed(b(":12x\r\n"))).toThrow(/bad integer/);
    expect(() => new RespParser().feed(b("$3\r\nabcd\r\n"))).toThrow(/not terminated/);
  });
});

describe("encodeCommand", () => {
  it("encodes strings, numbers and buffers as bulk strings", () => {
    const wire = encodeCommand(["SET", "ké", 12, Buffer.from([0xff])]);
    expect(wire.equals(Buffer.concat([b("*4\r\n$3\r\nSET\r\n$3\r\nké\r\n$2\r\n12\r\n$1\r\n"), Buffer.from([0xff]), b("\r\n")]))).toBe(true);
  });
});

/** A fake server that answers each received command with the next scripted reply, one byte per write. */
async function fakeServer(replies: Buffer[]): Promise<{ port: number; server: net.Server; sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.setNoDelay(true);
    let seen = 0;
    socket.on("data", (chunk) => {
      // Commands are arrays, so count the '*' headers at the start of each command to know how many arrived.
      seen += chunk
        .toString("latin1")
        .split("\r\n")
        .filter((l) => l.startsWith("*")).length;
      while (replies.length > 0 && seen > 0) {
        seen--;
        const reply = replies.shift() as Buffer;
        for (const byte of reply) socket.write(Buffer.from([byte]));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, server, sockets };
}

describe("RespClient", () => {
  it("pipelines commands and resolves replies in order over a byte-by-byte stream", async () => {
    const { port, server } = await fakeServer([b("+PONG\r\n"), b("$2\r\nhi\r\n"), b("-ERR nope\r\n"), b("*2\r\n:1\r\n$-1\r\n")]);
    const client = await RespClient.connect("127.0.0.1", port);
    const results = await Promise.all([client.send(["PING"]), client.send(["GET", "a"]), client.send(["X"]), client.send(["Y"])]);
    expect(results).toEqual(["PONG", b("hi"), new RespError("ERR nope"), [1, null]]);
    await client.close();
    expect(client.closed).toBe(true);
    await expect(client.send(["PING"])).rejects.toThrow(/closed/);
    server.close();
  });

  it("rejects every pending command when the connection drops", async () => {
    const { port, server, sockets } = await fakeServer([]);
    const client = await RespClient.connect("127.0.0.1", port);
    const pending = [client.send(["GET", "a"]), client.send(["GET", "b"])];
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const s of sockets) s.destroy();
    for (const p of pending) await expect(p).rejects.toThrow(/Redis connection to 127\.0\.0\.1:\d+/);
    expect(client.closed).toBe(true);
    server.close();
  });

  it("rejects connect to a closed port with a clear error", async () => {
    const { port, server } = await fakeServer([]);
    await new Promise((resolve) => server.close(resolve));
    await expect(RespClient.connect("127.0.0.1", port)).rejects.toThrow(/Redis connect to 127\.0\.0\.1:\d+ failed/);
  });
});
