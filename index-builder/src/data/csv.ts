/**
 * An incremental RFC 4180 reader: quoted fields may hold the delimiter,
 * newlines and doubled quotes; lines end in LF or CRLF. Text goes in by
 * chunks of any size (a quote or CRLF may straddle two), complete records
 * come out, so a file of any length is read in bounded memory.
 */
export class CsvRecordReader {
  private field = "";
  private record: string[] = [];
  private inQuotes = false;
  /** A quote seen in a quoted field, as the chunk's last character: closing or first of a pair. */
  private pendingQuote = false;
  private pendingCr = false;

  constructor(private readonly delimiter = ",") {}

  /** Records completed by this chunk. */
  push(text: string): string[][] {
    const out: string[][] = [];
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (this.pendingCr) {
        this.pendingCr = false;
        if (ch === "\n") continue;
      }
      if (this.pendingQuote) {
        this.pendingQuote = false;
        if (ch === '"') {
          this.field += '"';
          continue;
        }
        this.inQuotes = false;
      }
      if (this.inQuotes) {
        if (ch === '"') this.pendingQuote = true;
        else this.field += ch;
        continue;
      }
      if (ch === '"') this.inQuotes = true;
      else if (ch === this.delimiter) {
        this.record.push(this.field);
        this.field = "";
      } else if (ch === "\n" || ch === "\r") {
        this.pendingCr = ch === "\r";
        this.record.push(this.field);
        out.push(this.record);
        this.record = [];
        this.field = "";
      } else this.field += ch;
    }
    return out;
  }

  /** The last record when the text does not end in a newline; throws inside an open quote. */
  end(): string[][] {
    if (this.pendingQuote) {
      this.pendingQuote = false;
      this.inQuotes = false;
    }
    if (this.inQuotes) throw new Error("CSV ends inside a quoted field");
    if (this.field === "" && this.record.length === 0) return [];
    this.record.push(this.field);
    const last = this.record;
    this.record = [];
    this.field = "";
    return [last];
  }
}

/** Parses a whole CSV text: the header and the rows as arrays. */
export function parseCsv(text: string, delimiter = ","): { header: string[]; rows: string[][] } {
  const reader = new CsvRecordReader(delimiter);
  const [header, ...rows] = [...reader.push(text), ...reader.end()];
  if (!header) throw new Error("CSV has no header line");
  return { header, rows };
}

/** Maps each row to an object keyed by the header; throws on a row of the wrong width. */
export function csvObjects(text: string, required: readonly string[]): Record<string, string>[] {
  const { header, rows } = parseCsv(text);
  for (const name of required) if (!header.includes(name)) throw new Error(`CSV lacks column "${name}"`);
  return rows.map((row, i) => {
    if (row.length !== header.length) {
      throw new Error(`CSV row ${i + 2} has ${row.length} fields, the header has ${header.length}`);
    }
    return Object.fromEntries(header.map((h, j) => [h, row[j] ?? ""]));
  });
}
