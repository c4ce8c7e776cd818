import net from "node:net";

/** A Redis error reply. It is a value, not a thrown Error, so pipelines can report errors per command. */
export class RespError {
  constructor(readonly error: string) {}
}

/**
 * A parsed RESP2 reply: simple string → string, integer → number, bulk string → Buffer,
 * null bulk/array → null, error → RespError, array → RespValue[].
 */
export type RespValue = string | number | Buffer | null | RespError | RespValue[];

/** A command argument; numbers are sent as their decimal string form. */
export type RespArg = string | Buffer | number;

const CRLF = Buffer.from("\r\n");

/** Encodes a command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly RespArg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg), "utf8");
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return Buffer.concat(parts);
}

type Frame = { items: RespValue[]; remaining: number };
type Atom = { next: number; value: RespValue; open?: undefined } | { next: number; open: number };

/**
 * Incremental RESP2 reply parser. Feed it bytes as they arrive; it returns every reply
 * completed so far. Partially received arrays are kept on a stack so already parsed
 * elements are never parsed twice.
 */
export class RespParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  // Bytes needed before parsing can make progress; avoids re-concatenating for large bulk strings.
  private need = 1;
  private readonly stack: Frame[] = [];

  /** Adds bytes and returns the replies they complete, in order. Throws on a protocol violation. */
  feed(chunk: Buffer): RespValue[] {
    if (chunk.length === 0) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.need) return [];
    const buf = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.buffered);
    const out: RespValue[] = [];
    let pos = 0;
    for (;;) {
      const step = this.parseAtom(buf, pos);
      if (step === undefined) break;
      pos = step.next;
      if (step.open !== undefined) {
        this.stack.push({ items: [], remaining: step.open });
        continue;
      }
      const done = this.complete(step.value);
      if (done !== undefined) out.push(done.value);
    }
    const rest = pos < buf.length ? buf.subarray(pos) : undefined;
    this.chunks = rest ? [rest] : [];
    this.buffered = rest ? rest.length : 0;
    return out;
  }

  /** Parses one header line (and bulk payload) at pos, or returns undefined if more bytes are needed. */
  private parseAtom(buf: Buffer, pos: number): Atom | undefined {
    const eol = buf.indexOf(CRLF, pos);
    if (eol === -1) {
      this.need = buf.length - pos + 1;
      return undefined;
    }
    const type = buf[pos];
    const line = buf.toString("utf8", pos + 1, eol);
    const next = eol + 2;
    switch (type) {
      case 0x2b: // '+'
        return { next, value: line };
      case 0x2d: // '-'
        return { next, value: new RespError(line) };
      case 0x3a: // ':'
        return { next, value: parseInteger(line) };
      case 0x24: /* '$' */ {
        const len = parseInteger(line);
        if (len < 0) return { next, value: null };
        const end = next + len;
        if (end + 2 > buf.length) {
          this.need = end + 2 - pos;
          return undefined;
        }
        if (buf[end] !== 0x0d || buf[end + 1] !== 0x0a) throw new Error("RESP protocol error: bulk string not terminated by CRLF");
        // Copy so the value does not pin the whole receive buffer.
        return { next: end + 2, value: Buffer.from(buf.subarray(next, end)) };
      }
      case 0x2a: /* '*' */ {
        const len = parseInteger(line);
        if (len < 0) return { next, value: null };
        if (len === 0) return { next, value: [] };
        return { next, open: len };
      }
      default:
        throw new Error(`RESP protocol error: unexpected type byte 0x${(type ?? 0).toString(16)}`);
    }
  }

  /** Attaches a finished value to the innermost open array; returns it if it completes a top-level reply. */
  private complete(value: RespValue): { value: RespValue } | undefined {
    this.need = 1;
    let v = value;
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) return { value: v };
      top.items.push(v);
      if (--top.remaining > 0) return undefined;
      this.stack.pop();
      v = top.items;
    }
  }
}

function parseInteger(line: string): number {
  if (!/^-?\d+$/.test(line)) throw new Error(`RESP protocol error: bad integer ${JSON.stringify(line)}`);
  return Number(line);
}

type Pending = { resolve(value: RespValue): void; reject(error: Error): void };

/** A pipelining RESP2 client: any number of commands may be in flight; replies resolve in order. */
export class RespClient {
  private readonly parser = new RespParser();
  private readonly pending: Pending[] = [];
  private closeError: Error | undefined;
  private readonly closedPromise: Promise<void>;

  private constructor(
    private readonly socket: net.Socket,
    private readonly label: string,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.fail(new Error(`Redis connection to ${label} failed: ${err.message}`)));
    this.closedPromise = new Promise((resolve) => {
      socket.on("close", () => {
        this.fail(new Error(`Redis connection to ${label} closed`));
        resolve();
      });
    });
  }

  /** Opens a connection; rejects if it cannot be established within timeoutMs. */
  static connect(host: string, port: number, timeoutMs = 2000): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`Redis connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(new Error(`Redis connect to ${host}:${port} failed: ${err.message}`));
      });
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new RespClient(socket, `${host}:${port}`));
      });
    });
  }

  /** True once the connection is gone; every later send() rejects. */
  get closed(): boolean {
    return this.closeError !== undefined;
  }

  /** Sends one command. The write happens synchronously, so consecutive calls are never interleaved. */
  send(args: readonly RespArg[]): Promise<RespValue> {
    if (this.closeError) return Promise.reject(this.closeError);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(encodeCommand(args));
    });
  }

  /** Closes the connection; pending commands are rejected. */
  async close(): Promise<void> {
    this.fail(new Error(`Redis connection to ${this.label} closed by client`));
    this.socket.destroy();
    await this.closedPromise;
  }

  private onData(chunk: Buffer): void {
    let values: RespValue[];
    try {
      values = this.parser.feed(chunk);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
      this.socket.destroy();
      return;
    }
    for (const value of values) {
      const waiter = this.pending.shift();
      if (!waiter) {
        this.fail(new Error(`Redis connection to ${this.label}: reply without a pending command`));
        this.socket.destroy();
        return;
      }
      waiter.resolve(value);
    }
  }

  private fail(error: Error): void {
    this.closeError ??= error;
    for (const waiter of this.pending.splice(0)) waiter.reject(this.closeError);
  }
}
