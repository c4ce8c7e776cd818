import { readdir, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { asyncBufferFromFile, parquetMetadataAsync } from "hyparquet";
import { findColumn } from "./column-names";
import { parseId } from "./field-values";
import { type NpyField, npyRecordBatches, readScalar } from "./npy-records";
import { ImportError, parquetRecords } from "./row-sources";

export const VECTOR_FORMATS = ["parquet", "npy"] as const;
export type VectorFormat = (typeof VECTOR_FORMATS)[number];

/** Id and vector column names tried, in order, when they are not named: Spark ALS's `id` and `features` first. */
export const VECTOR_COLUMN_ALIASES = {
  id: ["id", "item_id", "itemId", "user_id", "userId", "item", "user"],
  vector: ["features", "vector", "embedding", "factors"],
} as const;

/** Vectors read from a file, one row per id. */
export interface ImportedVectors {
  file: string;
  dims: number;
  /** Ids as the Worker will know them (parseId: numbers in decimal, other shapes rewritten like the interaction import's). */
  ids: string[];
  /** Size ids.length*dims, row-major. */
  vectors: Float32Array;
  /** Ids the import rewrote to a Worker id. */
  rewrittenIds: number;
}

export interface VectorFileOptions {
  format?: VectorFormat;
  idColumn?: string;
  vectorColumn?: string;
}

/**
 * Reads id + float32 vectors from a Parquet file shaped as Spark MLlib's ALS
 * writes `itemFactors`/`userFactors` (`id` int, `features` array<float>;
 * string ids and double elements are accepted too), or the directory Spark
 * writes (its `*.parquet` parts in name order), or from an .npy file of
 * records with an id field and a float sub-array field (np.save of a
 * structured array). Parquet is read one row group at a time and .npy in
 * 64 KiB batches; what stays in memory is the result (n*dims floats and the
 * ids), sized up front from the file's row count. Every row must have the
 * first row's dimension and finite values, and ids must be distinct: the
 * first violation throws an ImportError naming the file and row (1-based).
 */
export async function readVectorFile(file: string, options: VectorFileOptions = {}): Promise<ImportedVectors> {
  const parts = await parquetParts(file);
  const format = parts ? "parquet" : (options.format ?? vectorFormatOf(file));
  const sink = new VectorSink(file);
  try {
    if (format === "parquet") await readParquetVectors(parts ?? [file], options, sink);
    else await readNpyVectors(file, options, sink);
  } catch (err) {
    if (err instanceof ImportError) throw err;
    throw new ImportError(file, null, err instanceof Error ? err.message : String(err), { cause: err });
  }
  return sink.result();
}

/** The format a vector file's name implies: .parquet/.pq or .npy. */
export function vectorFormatOf(file: string): VectorFormat {
  const ext = extname(file).toLowerCase();
  if (ext === ".parquet" || ext === ".pq") return "parquet";
  if (ext === ".npy") return "npy";
  throw new ImportError(file, null, `cannot tell the vector format from "${ext || "no extension"}"; name it .parquet or .npy, or pass --vector-format`);
}

/** The Parquet parts of a directory as Spark writes it (part-*.parquet beside _SUCCESS and .crc files); null for a file. */
async function parquetParts(path: string): Promise<string[] | null> {
  const info = await stat(path).catch(() => null);
  if (!info?.isDirectory()) return null;
  const parts = (await readdir(path)).filter((name) => /\.(parquet|pq)$/i.test(name) && !/^[._]/.test(name)).sort();
  if (parts.length === 0) throw new ImportError(path, null, "a directory without .parquet parts");
  return parts.map((name) => join(path, name));
}

/** Collects checked rows into one preallocated array. */
class VectorSink {
  private dims = 0;
  private count = 0;
  private vectors = new Float32Array(0);
  private readonly ids: string[] = [];
  /** Each id's part (index into `parts`) * 2^32 + row: a duplicate names where its first copy is. */
  private readonly rowOf = new Map<string, number>();
  private readonly parts: string[] = [];
  private rewritten = 0;
  /** The file rows now come from (a part of a Spark directory, or the file itself). */
  file: string;

  constructor(private readonly origin: string) {
    this.file = origin;
  }

  /** Sizes the result for `rows` rows of `dims` values. */
  start(rows: number, dims: number): void {
    if (!Number.isInteger(dims) || dims < 1)
      throw new ImportError(this.file, rows > 0 ? 1 : null, `vectors need at least one value; the first row has ${dims}`);
    this.dims = dims;
    this.vectors = new Float32Array(rows * dims);
  }

  get started(): boolean {
    return this.dims > 0;
  }

  add(row: number, rawId: unknown, length: number, valueAt: (d: number) => unknown): void {
    const parsed = parseId(rawId);
    if ("problem" in parsed) throw new ImportError(this.file, row, parsed.problem);
    const { id, rewritten } = parsed.value;
    const earlier = this.rowOf.get(id);
    if (earlier !== undefined) {
      const part = this.parts[Math.floor(earlier / 2 ** 32)]!;
      throw new ImportError(this.file, row, `id ${JSON.stringify(String(rawId))} repeats row ${earlier % 2 ** 32}${part === this.file ? "" : ` of ${part}`}`);
    }
    if (length !== this.dims) throw new ImportError(this.file, row, `vector has ${length} values, the first row has ${this.dims}`);
    if (this.count * this.dims >= this.vectors.length) throw new ImportError(this.file, row, "more rows than the file's metadata declares");
    const at = this.count * this.dims;
    for (let d = 0; d < this.dims; d++) {
      const v = valueAt(d);
      const x = typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : NaN;
      if (!Number.isFinite(x))
        throw new ImportError(this.file, row, `value ${d} of the vector is ${v === null || v === undefined ? "missing" : String(v)}, not a finite number`);
      this.vectors[at + d] = x;
    }
    if (this.parts.at(-1) !== this.file) this.parts.push(this.file);
    this.rowOf.set(id, (this.parts.length - 1) * 2 ** 32 + row);
    this.ids.push(id);
    if (rewritten) this.rewritten++;
    this.count++;
  }

  result(): ImportedVectors {
    if (this.count === 0) throw new ImportError(this.origin, null, "no vectors in the file");
    return {
      file: this.origin,
      dims: this.dims,
      ids: this.ids,
      vectors: this.vectors.length === this.count * this.dims ? this.vectors : this.vectors.slice(0, this.count * this.dims),
      rewrittenIds: this.rewritten,
    };
  }
}

async function readParquetVectors(files: readonly string[], options: VectorFileOptions, sink: VectorSink): Promise<void> {
  const opened = [];
  for (const file of files) {
    try {
      const buffer = await asyncBufferFromFile(file);
      opened.push({ file, buffer, metadata: await parquetMetadataAsync(buffer) });
    } catch (err) {
      throw new ImportError(file, null, `not a readable Parquet file (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
  }
  const total = opened.reduce((sum, part) => sum + Number(part.metadata.num_rows), 0);
  for (const { file, buffer, metadata } of opened) {
    // Rows are named in the part file they are in.
    sink.file = file;
    const names = topLevelColumns(metadata.schema);
    const idColumn = pickColumn(file, names, options.idColumn, VECTOR_COLUMN_ALIASES.id, "id", "--vector-id-column");
    const vectorColumn = pickColumn(file, names, options.vectorColumn, VECTOR_COLUMN_ALIASES.vector, "vector", "--vector-column");
    let rowStart = 0;
    for (const group of metadata.row_groups) {
      const rowEnd = rowStart + Number(group.num_rows);
      const rows = await parquetRecords(buffer, metadata, rowStart, rowEnd, [idColumn, vectorColumn]);
      for (let k = 0; k < rows.length; k++) {
        const row = rowStart + k + 1;
        const vector = rows[k]![vectorColumn] as unknown;
        if (!Array.isArray(vector) && !ArrayBuffer.isView(vector))
          throw new ImportError(file, row, `${vectorColumn} is ${vector === null ? "null" : typeof vector}, not a list of numbers`);
        const values = vector as ArrayLike<unknown>;
        if (!sink.started) sink.start(total, values.length);
        sink.add(row, rows[k]![idColumn], values.length, (d) => values[d]);
      }
      rowStart = rowEnd;
    }
  }
}

/** Names of the top-level columns of a flattened Parquet schema (element 0 is the root): list and struct children are skipped. */
function topLevelColumns(schema: readonly { name: string; num_children?: number }[]): string[] {
  const names: string[] = [];
  for (let i = 1; i < schema.length; i += subtreeSize(schema, i)) names.push(schema[i]!.name);
  return names;
}

function subtreeSize(schema: readonly { num_children?: number }[], at: number): number {
  let size = 1;
  for (let c = 0; c < (schema[at]!.num_children ?? 0); c++) size += subtreeSize(schema, at + size);
  return size;
}

async function readNpyVectors(file: string, options: VectorFileOptions, sink: VectorSink): Promise<void> {
  let idField: NpyField | null = null;
  let vectorField: NpyField | null = null;
  for await (const { layout, view, first, count } of npyRecordBatches(file)) {
    if (!vectorField) {
      if (layout.plainColumns !== null) {
        throw new ImportError(
          file,
          null,
          `a plain (rows, ${layout.plainColumns}) array carries no ids; save a structured array with an id field and a vector field (README "Vectors trained elsewhere")`,
        );
      }
      const names = layout.fields.map((f) => f.name);
      const idName = pickColumn(file, names, options.idColumn, VECTOR_COLUMN_ALIASES.id, "id", "--vector-id-column");
      const vectorName = pickColumn(file, names, options.vectorColumn, VECTOR_COLUMN_ALIASES.vector, "vector", "--vector-column");
      idField = layout.fields.find((f) => f.name === idName)!;
      vectorField = layout.fields.find((f) => f.name === vectorName)!;
      if (idField.shape.length > 0 || idField.kind === "f") throw new ImportError(file, null, `id field ${idName} must be a scalar integer or string`);
      if (vectorField.kind !== "f" || vectorField.shape.length !== 1)
        throw new ImportError(file, null, `vector field ${vectorName} must be a 1-D float sub-array, e.g. ("${vectorName}", "<f4", (64,))`);
      sink.start(layout.records, vectorField.shape[0]!);
    }
    const dims = vectorField.shape[0]!;
    for (let k = 0; k < count; k++) {
      const record = k * layout.recordBytes;
      sink.add(first + k + 1, readScalar(view, record, idField!), dims, (d) => readScalar(view, record, vectorField!, d));
    }
  }
}

function pickColumn(file: string, names: readonly string[], named: string | undefined, aliases: readonly string[], what: string, flag: string): string {
  if (named !== undefined) {
    if (!names.includes(named)) throw new ImportError(file, null, `no column "${named}" (columns: ${names.join(", ")})`);
    return named;
  }
  const found = findColumn(names, aliases);
  if (!found)
    throw new ImportError(file, null, `no ${what} column among ${names.join(", ")}; expected one of ${aliases.join(", ")} (any case), or name it with ${flag}`);
  return found;
}
