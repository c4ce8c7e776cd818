import { type Context } from "hono";
import { AppError } from "../../../shared/errors";

/** Reads a JSON body of at most `maxBytes`, with clear errors for each way it can be wrong. */
export async function readJson(c: Context, maxBytes: number): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new AppError("unsupported_media_type", "send the body as JSON with Content-Type: application/json");
  }
  const bytes = await readBytes(c, maxBytes);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new AppError("invalid_json", "the body is not valid JSON", undefined, { cause });
  }
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
