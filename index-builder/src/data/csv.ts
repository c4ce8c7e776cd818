/**
 * Parses RFC 4180 CSV: quoted fields may hold commas, newlines and doubled
 * quotes; lines end in LF or CRLF. Returns the header and the rows as arrays.
 */
export function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        field += ch;
      }
      continue;
    }
    if (ch === '"') inQuotes = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += ch;
  }
  if (inQuotes) throw new Error("CSV ends inside a quoted field");
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  const [header, ...rows] = records;
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
