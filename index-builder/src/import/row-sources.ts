import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { extname } from "node:path";
import { createInterface } from "node:readline";
import { type AsyncBuffer, asyncBufferFromFile, type FileMetaData, parquetMetadataAsync, parquetRead, parquetSchema } from "hyparquet";
import { dataRecord } from "../../../shared/data-record";
import { CsvRecordReader } from "../data/csv";

export const IMPORT_FORMATS = ["csv", "tsv", "jsonl", "parquet"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** One record of an input file: its fields by column name, and where in the file it is. */
export interface SourceRow {
  /**
   * A record without a prototype (shared/data-record.ts): every column is an own key whatever its name, `__proto__`
   * and `constructor` included, and a column the record lacks reads undefined, never a value Object.prototype lends.
   */
  fields: Readonly<Record<string, unknown>>;
  /** The record's 1-based position after any header. */
  row: number;
  /**
   * Where a person finds the record, for messages: "line N" in a text file (the line it starts on, as an editor or
   * a spreadsheet numbers them, a header line being line 1), "row N" in Parquet.
   */
  where: string;
  /** A CSV/TSV file's column names in file order (an object's keys put number-like names first). */
  columns?: readonly string[];
}

/** A problem in an input file; the message names the file and, when there is one, the place: a row number, or a SourceRow's `where`. */
export class ImportError extends Error {
  constructor(
    readonly file: string,
    readonly at: number | string | null,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${file}${at === null ? "" : typeof at === "number" ? ` row ${at}` : ` ${at}`}: ${problem}`, options);
  }
}

/** Line breaks inside a record's fields (a quoted field may hold some): the lines it spans beyond its first. */
function breaksIn(record: readonly string[]): number {
  let breaks = 0;
  for (const field of record) breaks += field.match(/\r\n|\r|\n/g)?.length ?? 0;
  return breaks;
}

/**
 * The format a file's name implies (.csv, .tsv, .jsonl/.ndjson/.json,
 * .parquet); for any other name (.dat, .txt, .data, none) the format its
 * first bytes show (sniffFormat).
 */
export function formatOf(file: string): ImportFormat {
  const ext = extname(file).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".tsv") return "tsv";
  if (ext === ".jsonl" || ext === ".ndjson" || ext === ".json") return "jsonl";
  if (ext === ".parquet" || ext === ".pq") return "parquet";
  return sniffFormat(file, ext);
}

const SNIFF_BYTES = 1 << 16;

/** A file's first bytes (64 KiB at most), for telling its format and separator. */
function headOf(file: string): Buffer {
  const head = Buffer.alloc(SNIFF_BYTES);
  try {
    const fd = openSync(file, "r");
    try {
      return head.subarray(0, readSync(fd, head, 0, SNIFF_BYTES, 0));
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new ImportError(file, null, `cannot read it (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}

/** The first line of a text file's head, without a byte-order mark. */
function firstLineOf(head: Buffer): string {
  return (
    head
      .toString("utf8")
      .replace(/^\uFEFF/, "")
      .split(/\r?\n/, 1)[0] ?? ""
  );
}

/**
 * Separators a "comma-separated" file may use instead of the comma, as
 * spreadsheets write them where the comma is the decimal mark: the semicolon,
 * then the pipe. Taken only when the first line holds no comma.
 */
const OTHER_SEPARATORS = [";", "|"] as const;

function otherSeparatorOf(firstLine: string): string | null {
  if (firstLine.includes(",")) return null;
  return OTHER_SEPARATORS.find((s) => firstLine.includes(s)) ?? null;
}

/**
 * Parquet by its magic bytes; JSON Lines when the first line opens an
 * object; else a delimited text file by its first line's separator, a tab
 * before a comma (a tab-separated header rarely holds a comma, the other
 * way round it can), then a semicolon or a pipe. Anything else is an error
 * that says how to go on.
 */
function sniffFormat(file: string, ext: string): ImportFormat {
  const head = headOf(file);
  const unknown = `cannot tell the format from "${ext || "no extension"}" or from the first line`;
  const pass = "name it .csv, .tsv, .jsonl or .parquet, or pass --format";
  if (head.length >= 4 && head.toString("latin1", 0, 4) === "PAR1") return "parquet";
  const firstLine = firstLineOf(head);
  if (firstLine.trimStart().startsWith("{")) return "jsonl";
  if (firstLine.includes("\t")) return "tsv";
  if (firstLine.includes("::"))
    throw new ImportError(
      file,
      null,
      `${unknown}: its fields are separated by "::" (as in MovieLens-1M's .dat files), which the import does not read; turn each "::" into a tab and pass --format tsv`,
    );
  if (firstLine.includes(",") || otherSeparatorOf(firstLine) !== null) return "csv";
  throw new ImportError(file, null, `${unknown} (no tab, comma, semicolon or pipe in it); ${pass}`);
}

/**
 * A CSV file's separator: the comma, or a semicolon or pipe when the first
 * line (the header, or the first record under --header) holds one of those
 * and no comma.
 */
export function csvSeparatorOf(file: string): string {
  return otherSeparatorOf(firstLineOf(headOf(file))) ?? ",";
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
      return csvRows(file, format === "tsv" ? "\t" : csvSeparatorOf(file), header);
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
  /** Lines the records so far span: the next record starts on the line after. */
  let lines = 0;
  let where = "";
  function* records(records: string[][]): Generator<SourceRow> {
    for (const record of records) {
      where = `line ${lines + 1}`;
      lines += 1 + breaksIn(record);
      if (!header) {
        header = record.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, "") : h).trim());
        refuseRepeatedColumns(file, header);
        continue;
      }
      row++;
      if (record.length === 1 && record[0] === "") continue;
      if (record.length !== header.length)
        throw new ImportError(file, where, `${record.length} fields, the ${given ? "--header" : "header"} has ${header.length}`);
      const fields = dataRecord<unknown>();
      header.forEach((h, i) => (fields[h] = record[i]));
      yield { fields, row, where, columns: header };
    }
  }
  if (given) refuseRepeatedColumns(file, given);
  try {
    for await (const chunk of createReadStream(file, { encoding: "utf8", highWaterMark: 1 << 16 })) yield* records(reader.push(chunk as string));
    yield* records(reader.end());
  } catch (err) {
    throw err instanceof ImportError ? err : new ImportError(file, where || null, err instanceof Error ? err.message : String(err), { cause: err });
  }
  if (!header) throw new ImportError(file, null, "empty file: no header line");
}

async function* jsonlRows(file: string): AsyncGenerator<SourceRow> {
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8", highWaterMark: 1 << 16 }), crlfDelay: Infinity });
  let row = 0;
  for await (const raw of lines) {
    row++;
    // A byte-order mark before the first object (as Windows tools write UTF-8) is no part of it.
    const line = row === 1 ? raw.replace(/^\uFEFF/, "") : raw;
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new ImportError(file, `line ${row}`, `not JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ImportError(file, `line ${row}`, "each line must be a JSON object");
    // JSON.parse makes every key an own property ("__proto__" too), but a key the line lacks would read Object.prototype's.
    yield { fields: Object.assign(dataRecord<unknown>(), value), row, where: `line ${row}` };
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
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  refuseRepeatedColumns(file, columns);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = await parquetRecords(buffer, metadata, rowStart, rowEnd, columns);
    for (let k = 0; k < rows.length; k++) yield { fields: rows[k]!, row: rowStart + k + 1, where: `row ${rowStart + k + 1}` };
    rowStart = rowEnd;
  }
}

/**
 * Rows [rowStart, rowEnd) of a Parquet file, the `columns` of each (top-level names) as a record without a
 * prototype. Read as arrays and named here: hyparquet's row objects are plain ones, where a column named
 * "__proto__" is lost (or, holding a list, becomes the row's prototype).
 */
export function parquetRecords(
  buffer: AsyncBuffer,
  metadata: FileMetaData,
  rowStart: number,
  rowEnd: number,
  columns: readonly string[],
): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const onComplete = (rows: unknown[][]) =>
      resolve(
        rows.map((values) => {
          const fields = dataRecord<unknown>();
          columns.forEach((name, i) => (fields[name] = values[i]));
          return fields;
        }),
      );
    parquetRead({ file: buffer, metadata, rowStart, rowEnd, columns: [...columns], rowFormat: "array", onComplete }).catch(reject);
  });
}

/** Two columns of one name: a record could hold only one of them, and the other would be lost unseen. */
function refuseRepeatedColumns(file: string, columns: readonly string[]): void {
  const first = new Map<string, number>();
  columns.forEach((name, i) => {
    const at = first.get(name);
    if (at !== undefined) throw new ImportError(file, null, `columns ${at + 1} and ${i + 1} are both named "${name}": rename one`);
    first.set(name, i);
  });
}
