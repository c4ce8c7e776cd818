import { open } from "node:fs/promises";

/**
 * One field of a NumPy record: its name, scalar type (`f4`, `i8`, `U12`,
 * ...), byte order, byte offset in the record, and the shape of a sub-array
 * field (`(64,)` for a 64-float vector; empty for a scalar).
 */
export interface NpyField {
  name: string;
  kind: "f" | "i" | "u" | "S" | "U";
  /** Bytes of one scalar (for `U`, 4 per character). */
  size: number;
  littleEndian: boolean;
  offset: number;
  shape: number[];
}

/** What an .npy header says: the record layout, the number of records, and where the data starts. */
export interface NpyLayout {
  fields: NpyField[];
  recordBytes: number;
  records: number;
  dataOffset: number;
  /** A plain 2-D array (no field names): its second dimension; fields then holds one unnamed field. */
  plainColumns: number | null;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/**
 * Reads the header of an .npy file (NumPy's format, versions 1-3: magic,
 * version, header length, then a Python dict literal with `descr`,
 * `fortran_order` and `shape`). Accepts a structured dtype of scalar and
 * fixed sub-array fields (`np.save` of `np.zeros(n, dtype=[("id", "<i8"),
 * ("features", "<f4", (64,))])`), or a plain C-order 2-D numeric array.
 * Throws a sentence describing what is not supported.
 */
export function parseNpyHeader(head: Uint8Array): NpyLayout {
  if (head.length < 10 || MAGIC.some((b, i) => head[i] !== b)) throw new Error("not an .npy file (no \\x93NUMPY magic)");
  const major = head[6]!;
  if (major < 1 || major > 3) throw new Error(`.npy format version ${major} is not supported (1-3 are)`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lengthBytes + headerLength;
  if (head.length < dataOffset) throw new Error("truncated .npy header");
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(head.subarray(8 + lengthBytes, dataOffset));
  const dict = pythonLiteral(text) as { descr?: unknown; fortran_order?: unknown; shape?: unknown };
  if (!Array.isArray(dict.shape) || !dict.shape.every((x) => Number.isInteger(x))) throw new Error(`.npy header has no shape: ${text.trim()}`);
  const shape = dict.shape as number[];
  if (typeof dict.descr === "string") {
    if (shape.length !== 2) throw new Error(`a plain .npy array must be 2-D (rows, dims); this one has shape (${shape.join(", ")})`);
    if (dict.fortran_order === true) throw new Error("a Fortran-order .npy array is not supported; save np.ascontiguousarray(a)");
    const scalar = scalarType(dict.descr);
    const field: NpyField = { name: "", ...scalar, offset: 0, shape: [shape[1]!] };
    return { fields: [field], recordBytes: scalar.size * shape[1]!, records: shape[0]!, dataOffset, plainColumns: shape[1]! };
  }
  if (!Array.isArray(dict.descr)) throw new Error(`.npy descr is neither a type nor a list of fields: ${text.trim()}`);
  if (shape.length !== 1) throw new Error(`a structured .npy array must be 1-D (one record a row); this one has shape (${shape.join(", ")})`);
  const fields: NpyField[] = [];
  let offset = 0;
  for (const entry of dict.descr as unknown[]) {
    if (!Array.isArray(entry) || typeof entry[0] !== "string" || typeof entry[1] !== "string")
      throw new Error(`unsupported .npy field ${JSON.stringify(entry)}`);
    const subShape = entry[2] === undefined ? [] : Array.isArray(entry[2]) ? (entry[2] as number[]) : [entry[2] as number];
    const scalar = scalarType(entry[1]);
    fields.push({ name: entry[0], ...scalar, offset, shape: subShape });
    offset += scalar.size * subShape.reduce((a, b) => a * b, 1);
  }
  return { fields, recordBytes: offset, records: shape[0]!, dataOffset, plainColumns: null };
}

function scalarType(descr: string): Pick<NpyField, "kind" | "size" | "littleEndian"> {
  const match = /^([<>|=]?)([fiuSU])(\d+)$/.exec(descr);
  if (!match) throw new Error(`.npy type "${descr}" is not supported (floats f4/f8, integers i1-i8/u1-u8, strings S<n>/U<n>)`);
  const kind = match[2] as NpyField["kind"];
  const count = Number(match[3]);
  const size = kind === "U" ? 4 * count : count;
  if ((kind === "f" && size !== 4 && size !== 8) || ((kind === "i" || kind === "u") && ![1, 2, 4, 8].includes(size))) {
    throw new Error(`.npy type "${descr}" is not supported`);
  }
  return { kind, size, littleEndian: match[1] !== ">" };
}

/** The subset of Python literal syntax NumPy writes in headers: dicts, tuples, lists, strings, ints, True/False. */
function pythonLiteral(text: string): unknown {
  const json = text
    .trim()
    .replace(/'((?:[^'\\]|\\.)*)'/g, (_, s: string) => JSON.stringify(s.replace(/\\'/g, "'")))
    .replace(/\(/g, "[")
    .replace(/\)/g, "]")
    .replace(/\bTrue\b/g, "true")
    .replace(/\bFalse\b/g, "false")
    .replace(/,\s*([\]}])/g, "$1");
  try {
    return JSON.parse(json);
  } catch (err) {
    throw new Error(`cannot read the .npy header ${text.trim()}`, { cause: err });
  }
}

/** A field's scalar at `index` within its sub-array: number, bigint-safe integer as number, or string. */
export function readScalar(view: DataView, record: number, field: NpyField, index = 0): number | string {
  const at = record + field.offset + index * field.size;
  switch (field.kind) {
    case "f":
      return field.size === 4 ? view.getFloat32(at, field.littleEndian) : view.getFloat64(at, field.littleEndian);
    case "i":
    case "u":
      return readInteger(view, at, field);
    case "S": {
      const bytes = new Uint8Array(view.buffer, view.byteOffset + at, field.size);
      const end = bytes.indexOf(0);
      return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
    }
    case "U": {
      let text = "";
      for (let c = 0; c < field.size / 4; c++) {
        const code = view.getUint32(at + 4 * c, field.littleEndian);
        if (code === 0) break;
        text += String.fromCodePoint(code);
      }
      return text;
    }
  }
}

function readInteger(view: DataView, at: number, field: NpyField): number | string {
  const signed = field.kind === "i";
  const le = field.littleEndian;
  switch (field.size) {
    case 1:
      return signed ? view.getInt8(at) : view.getUint8(at);
    case 2:
      return signed ? view.getInt16(at, le) : view.getUint16(at, le);
    case 4:
      return signed ? view.getInt32(at, le) : view.getUint32(at, le);
    default: {
      // 64-bit ids past 2^53 keep every digit as text.
      const big = signed ? view.getBigInt64(at, le) : view.getBigUint64(at, le);
      return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
    }
  }
}

/**
 * The layout of an .npy file and its records in batches: a DataView over
 * whole records and the index of the first, read `batchBytes` at a time
 * (64 KiB by default), so memory holds one batch, never the file.
 */
export async function* npyRecordBatches(
  file: string,
  batchBytes = 1 << 16,
): AsyncGenerator<{ layout: NpyLayout; view: DataView; first: number; count: number }> {
  const handle = await open(file, "r");
  try {
    const probe = new Uint8Array(12);
    await handle.read(probe, 0, 12, 0);
    const head = new Uint8Array(Math.max(12, Math.min(1 << 20, headerEnd(probe))));
    await handle.read(head, 0, head.length, 0);
    const layout = parseNpyHeader(head);
    const { size } = await handle.stat();
    const expected = layout.dataOffset + layout.records * layout.recordBytes;
    if (size < expected) throw new Error(`the .npy header promises ${layout.records} records (${expected} bytes) but the file has ${size} bytes`);
    const perBatch = Math.max(1, Math.floor(batchBytes / Math.max(1, layout.recordBytes)));
    const buffer = new Uint8Array(perBatch * layout.recordBytes);
    for (let first = 0; first < layout.records; first += perBatch) {
      const count = Math.min(perBatch, layout.records - first);
      await handle.read(buffer, 0, count * layout.recordBytes, layout.dataOffset + first * layout.recordBytes);
      yield { layout, view: new DataView(buffer.buffer, 0, count * layout.recordBytes), first, count };
    }
    if (layout.records === 0) yield { layout, view: new DataView(buffer.buffer, 0, 0), first: 0, count: 0 };
  } finally {
    await handle.close();
  }
}

/** Bytes up to the end of the header, from its first 12 bytes (0 when it is no .npy file: the parser then says so). */
function headerEnd(probe: Uint8Array): number {
  if (MAGIC.some((b, i) => probe[i] !== b)) return 0;
  const view = new DataView(probe.buffer);
  return probe[6] === 1 ? 10 + view.getUint16(8, true) : 12 + view.getUint32(8, true);
}
