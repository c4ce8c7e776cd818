import { type Context } from "hono";
import { AppError } from "../../../shared/errors";

/** Reads a JSON body of at most `maxBytes`, with clear errors for each way it can be wrong. */
export async function readJson(c: Context, maxBytes: number): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new AppError("unsupported_media_type", "send the body as JSON with Content-Type: application/json");
  }
  const bytes = await readBytes(c, maxBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw new AppError("invalid_json", "the body is not valid UTF-8: send JSON text encoded as UTF-8", undefined, { cause });
  }
  let value: unknown;
  try {
    // Only a \uD800-\uDFFF escape can spell half a pair (the decoder refused raw ones): look closer only then.
    value = SURROGATE_ESCAPE.test(text) ? JSON.parse(text, refuseLoneSurrogates) : JSON.parse(text);
  } catch (cause) {
    if (cause instanceof AppError) throw cause;
    throw new AppError("invalid_json", "the body is not valid JSON", undefined, { cause });
  }
  return value;
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** A UTF-16 surrogate without its pair: JSON's `\ud800` escape can spell one, and no Unicode text holds one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** JSON.parse's reviver: refuses a key or string holding a lone surrogate (it could not be stored or sent on as text). */
function refuseLoneSurrogates(key: string, value: unknown): unknown {
  if (LONE_SURROGATE.test(key) || (typeof value === "string" && LONE_SURROGATE.test(value))) {
    throw new AppError("invalid_json", "the body holds a \\u escape of half a surrogate pair, which is no character: send whole characters");
  }
  return value;
}

/** Reads the raw body, refusing (413) anything over `maxBytes` before buffering it all. */
export async function readBytes(c: Context, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const body = c.req.raw.body;
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function tooLarge(maxBytes: number): AppError {
  return new AppError("payload_too_large", `the body exceeds ${maxBytes} bytes`);
}
