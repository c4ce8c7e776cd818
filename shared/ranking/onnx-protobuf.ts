import { AppError } from "../errors";

/**
 * A minimal protocol-buffers writer: just the wire types ONNX's ModelProto
 * needs (varint, fixed32, length-delimited). Nested messages are written to
 * their own writer and embedded as bytes, which is simple and fast enough for
 * models of a few kilobytes.
 */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];

  /** Field `field` as a varint (int32/int64/enum/bool); negative values take 10 bytes, as protobuf specifies. */
  varint(field: number, value: number | bigint): this {
    this.tag(field, 0);
    this.rawVarint(BigInt.asUintN(64, BigInt(value)));
    return this;
  }

  /** Field `field` as a 32-bit float (wire type 5). */
  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.bytesRaw(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** Field `field` as length-delimited bytes. */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.rawVarint(BigInt(value.byteLength));
    this.bytesRaw(value);
    return this;
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    this.flush();
    const total = this.chunks.reduce((n, c) => n + c.byteLength, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint(BigInt((field << 3) | wireType));
  }

  private rawVarint(v: bigint): void {
    while (v >= 0x80n) {
      this.scratch.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.scratch.push(Number(v));
  }

  private bytesRaw(b: Uint8Array): void {
    this.flush();
    this.chunks.push(b);
  }

  private flush(): void {
    if (this.scratch.length === 0) return;
    this.chunks.push(Uint8Array.from(this.scratch));
    this.scratch = [];
  }
}

/** One decoded field: varints as bigint, fixed32 as its raw 4 bytes, length-delimited as a view. */
export type ProtoField = { field: number; wireType: 0; value: bigint } | { field: number; wireType: 2 | 5 | 1; bytes: Uint8Array };

/** Splits one message into its fields, in order (enough to read back what `ProtoWriter` wrote). */
export function readProtoFields(buf: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= buf.byteLength) throw new AppError("invalid_manifest", "protobuf: truncated varint");
      const byte = buf[at++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
      shift += 7n;
    }
  };
  while (at < buf.byteLength) {
    const key = Number(varint());
    const field = key >>> 3;
    const wireType = key & 7;
    if (wireType === 0) fields.push({ field, wireType, value: varint() });
    else if (wireType === 2 || wireType === 5 || wireType === 1) {
      const length = wireType === 2 ? Number(varint()) : wireType === 5 ? 4 : 8;
      if (at + length > buf.byteLength) throw new AppError("invalid_manifest", "protobuf: truncated field");
      fields.push({ field, wireType, bytes: buf.subarray(at, at + length) });
      at += length;
    } else throw new AppError("invalid_manifest", `protobuf: unsupported wire type ${wireType}`);
  }
  return fields;
}
