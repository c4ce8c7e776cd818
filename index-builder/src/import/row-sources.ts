import { createReadStream } from "node:fs";
import { extname } from "node:path";
import { createInterface } from "node:readline";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { CsvRecordReader } from "../data/csv";

export const IMPORT_FORMATS = ["csv", "tsv", "jsonl", "parquet"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** One record of an input file: its fields by column name, and its 1-based position after any header. */
export interface SourceRow {
  fields: Record<string, unknown>;
  row: number;
  /** A CSV/TSV file's column names in file order (an object's keys put number-like names first). */
  columns?: readonly string[];
}

/** A problem in an input file; the message names the file and, when there is one, the row. */
export class ImportError extends Error {
  constructor(
    readonly file: string,
    readonly row: number | null,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${file}${row === null ? "" : ` row ${row}`}: ${problem}`, options);
  }
}

/** The format a file's name implies: .csv, .tsv, .jsonl/.ndjson/.json, .parquet. */
export function formatOf(file: string): ImportFormat {
  const ext = extname(file).toLowerCase();
  if (ext === ".csv" || ext === ".txt") return "csv";
  if (ext === ".tsv") return "tsv";
  if (ext === ".jsonl" || ext === ".ndjson" || ext === ".json") return "jsonl";
  if (ext === ".parquet" || ext === ".pq") return "parquet";
  throw new ImportError(file, null, `cannot tell the format from "${ext || "no extension"}"; name it .csv, .tsv, .jsonl or .parquet, or pass --format`);
}

/**
 * The records of a CSV/TSV (header line first), JSON Lines (one object a
 * line) or Parquet file, one at a time: text files are read in 64 KiB
 * chunks and Parquet one row group at a time, so memory holds one chunk or
 * row group, never the file.
 */
export function readRows(file: string, format: ImportFormat = formatOf(file), header?: readonly string[]): AsyncGenerator<SourceRow> {
  if (header && format !== "csv" && format !== "tsv")
    throw new ImportError(file, null, `--header names the columns of a CSV or TSV file without a header line, not of ${format}`);
  switch (format) {
    case "csv":
    case "tsv":
      return csvRows(file, format === "tsv" ? "\t" : ",", header);
    case "jsonl":
      return jsonlRows(file);
    case "parquet":
      return parquetRows(file);
  }
}

/** `given`: the file has no header line and these are its columns, in order (MovieLens-100K's u.data, say); every line is a row. */
async function* csvRows(file: string, delimiter: string, given?: readonly string[]): AsyncGenerator<SourceRow> {
  const reader = new CsvRecordReader(delimiter);
  let header: string[] | null = given ? [...given] : null;
  let row = 0;
  function* records(records: string[][]): Generator<SourceRow> {
    for (const record of records) {
      if (!header) {
        header = record.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, "") : h).trim());
        continue;
      }
      row++;
      if (record.length === 1 && record[0] === "") continue;
      if (record.length !== header.length)
        throw new ImportError(file, row, `${record.length} fields, the ${given ? "--header" : "header"} has ${header.length}`);
      const fields: Record<string, unknown> = {};
      header.forEach((h, i) => (fields[h] = record[i]));
      yield { fields, row, columns: header };
    }
  }
  try {
    for await (const chunk of createReadStream(file, { encoding: "utf8", highWaterMark: 1 << 16 })) yield* records(reader.push(chunk as string));
    yield* records(reader.end());
  } catch (err) {
    throw err instanceof ImportError ? err : new ImportError(file, row || null, err instanceof Error ? err.message : String(err), { cause: err });
  }
  if (!header) throw new ImportError(file, null, "empty file: no header line");
}

async function* jsonlRows(file: string): AsyncGenerator<SourceRow> {
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8", highWaterMark: 1 << 16 }), crlfDelay: Infinity });
  let row = 0;
  for await (const line of lines) {
    row++;
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new ImportError(file, row, `not JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ImportError(file, row, "each line must be a JSON object");
    yield { fields: value as Record<string, unknown>, row };
  }
}

async function* parquetRows(file: string): AsyncGenerator<SourceRow> {
  let buffer;
  let metadata;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (err) {
    throw new ImportError(file, null, `not a readable Parquet file (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd });
    for (let k = 0; k < rows.length; k++) yield { fields: rows[k]!, row: rowStart + k + 1 };
    rowStart = rowEnd;
  }
}
