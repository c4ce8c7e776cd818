import { createHash } from "node:crypto";
import { calendarProblem } from "../../../shared/calendar";
import { isValidId } from "../../../shared/ids";

/**
 * Turns the values a CSV, JSON or Parquet reader yields into the builder's
 * types. Each returns a value or a problem sentence (the caller names file
 * and row), never throws.
 */
export type Parsed<T> = { value: T } | { problem: string };

/**
 * Ids of any shape become ids the Worker accepts (shared/ids.ts, isValidId:
 * 1-128 of `A-Z a-z 0-9 _ . : @ -`, not only dots): valid ids stay as they
 * are; any other string (`.` and `..` too) becomes `b64.` + its UTF-8 in
 * base64url, or `h.` + 40 hex of its SHA-256 when that would pass 128
 * characters. Numbers (Parquet INT64 too) are written in decimal.
 */
export function parseId(raw: unknown): Parsed<{ id: string; rewritten: boolean }> {
  const text = typeof raw === "string" ? raw.trim() : typeof raw === "number" || typeof raw === "bigint" ? String(raw) : null;
  if (text === null || text === "") return { problem: "empty id" };
  if (isValidId(text)) return { value: { id: text, rewritten: false } };
  const b64 = `b64.${Buffer.from(text, "utf8").toString("base64url")}`;
  const id = b64.length <= 128 ? b64 : `h.${createHash("sha256").update(text).digest("hex").slice(0, 40)}`;
  return { value: { id, rewritten: true } };
}

/**
 * The timestamp texts the import takes (README, "Your own data"). A zone-less date-time is UTC: Date.parse would read
 * it in the building machine's zone, so the same file would build another index elsewhere.
 */
export const TIMESTAMP_FORMS =
  "epoch seconds or milliseconds (a number), a Parquet timestamp, or ISO-8601: 2026-12-05T10:00:00Z, with an offset (+02:00, +0200) " +
  "or without a zone (2026-12-05 10:00:00, 2026-12-05: UTC)";

/**
 * ISO-8601 as the import takes it: a date, or a date and a time (T or a space between), seconds and a fraction
 * optional, then maybe a zone: Z, an offset ±HH:MM or ±HHMM, or UTC (as BigQuery writes), a space before it allowed.
 */
const ISO_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?: ?(Z|UTC|([+-])(\d{2}):?(\d{2})))?)?$/i;

/** Numbers from 10^14 on are no milliseconds a log holds (the year 5138 on), but micro- or nanoseconds. */
const MAX_EPOCH_MS = 1e14;

/**
 * Epoch milliseconds of an ISO-8601 text in ISO_TEXT's form, counted from its parts (never by Date.parse's loose
 * parser, which rolls 2026-11-31 over to December 1); a problem when the parts name no real moment; null when the
 * text is not in that form. Any year 0000-9999.
 */
function isoTextMs(text: string): Parsed<number> | null {
  const m = ISO_TEXT.exec(text);
  if (!m) return null;
  const calendar = calendarProblem(text);
  if (calendar !== null) return { problem: `timestamp "${text}" is not a real date-time: ${calendar}` };
  const [, y, mo, d, h = "0", mi = "0", s = "0", fraction = "", , sign, offsetH = "0", offsetM = "0"] = m;
  const at = new Date(0);
  at.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  at.setUTCHours(Number(h), Number(mi), Number(s), Number(fraction.padEnd(3, "0").slice(0, 3)));
  const offsetMs = sign === undefined ? 0 : (sign === "-" ? -1 : 1) * (Number(offsetH) * 60 + Number(offsetM)) * 60_000;
  return { value: at.getTime() - offsetMs };
}

/** Epoch milliseconds of an epoch number: below 10^11 it is seconds (the year 5138 in seconds, 1973 in milliseconds). */
function epochMs(n: number): number {
  return n < 1e11 ? n * 1000 : n;
}

/**
 * Epoch seconds or milliseconds (a number, or a text of digits), an ISO-8601 text in the forms TIMESTAMP_FORMS
 * names, or a Date (Parquet TIMESTAMP, DATE and INT96 columns). Returns epoch milliseconds, from 1970 on. An
 * ISO-8601 text must name a real date and time, as the Worker's events must (shared/calendar.ts): 2026-11-31 or
 * T24:00 is refused, not rolled over; any other text ("Nov 30 2026", "2026/11/30", "12/1/2026") is refused,
 * naming the forms taken.
 */
export function parseTimestamp(raw: unknown): Parsed<number> {
  if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "")) return { problem: "timestamp missing" };
  let ms: number;
  if (raw instanceof Date) {
    if (Number.isNaN(raw.getTime())) return { problem: "invalid date" };
    ms = raw.getTime();
  } else if (typeof raw === "number" || typeof raw === "bigint" || (typeof raw === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(raw))) {
    const n = Number(typeof raw === "string" ? raw.trim() : raw);
    if (!Number.isFinite(n) || n < 0) return { problem: `timestamp ${String(raw).trim()} is not a non-negative number` };
    if (n >= MAX_EPOCH_MS)
      return {
        problem: `timestamp ${String(raw).trim()} is past the year 5138 as epoch milliseconds: micro- or nanoseconds are not taken, divide them to milliseconds`,
      };
    ms = epochMs(n);
  } else {
    const text = typeof raw === "string" ? raw.trim() : null;
    const iso = text === null ? null : isoTextMs(text);
    if (iso === null)
      return { problem: `timestamp ${JSON.stringify(typeof raw === "string" ? raw.trim() : String(raw))} is not one of the forms taken: ${TIMESTAMP_FORMS}` };
    if ("problem" in iso) return iso;
    ms = iso.value;
  }
  if (ms < 0) return { problem: `timestamp ${raw instanceof Date ? raw.toISOString() : String(raw).trim()} lies before 1970-01-01` };
  return { value: ms };
}

/** A finite non-negative number (a count, a rating, seconds). */
export function parseWeight(raw: unknown): Parsed<number> {
  const n = typeof raw === "number" || typeof raw === "bigint" ? Number(raw) : typeof raw === "string" && raw.trim() !== "" ? Number(raw.trim()) : NaN;
  if (!Number.isFinite(n) || n < 0) {
    // A decimal comma (3,5), as spreadsheets write numbers where semicolons separate the fields.
    const decimalComma = typeof raw === "string" && /^\s*\d+,\d+\s*$/.test(raw) ? `; write the decimal mark as a point (${raw.trim().replace(",", ".")})` : "";
    return { problem: `weight "${String(raw)}" is not a non-negative number${decimalComma}` };
  }
  return { value: n };
}

/** true/false, 1/0, yes/no, y/n (any case); absent or empty is `fallback`. */
export function parseBoolean(raw: unknown, fallback: boolean): Parsed<boolean> {
  if (raw === undefined || raw === null || raw === "") return { value: fallback };
  if (typeof raw === "boolean") return { value: raw };
  const text = String(raw).trim().toLowerCase();
  if (["true", "1", "yes", "y"].includes(text)) return { value: true };
  if (["false", "0", "no", "n"].includes(text)) return { value: false };
  return { problem: `"${String(raw)}" is not a boolean (true/false, 1/0, yes/no)` };
}

/**
 * Labels that say "no label": MovieLens's "(no genres listed)" and the usual
 * placeholders. Kept, one such label on every unlabelled item would make
 * them all one category (one content neighbourhood, one affinity).
 */
const NO_LABEL = /^\(?\s*(no genres listed|no genre|none|unknown|n\/a|null|undefined|-)\s*\)?$/i;

/** Labels from an array, or a text split on `|` or `;` (a comma-free choice, so CSV needs no quoting); trimmed, deduplicated, placeholders (NO_LABEL) dropped. */
export function parseLabels(raw: unknown, maxLabels = 64, maxLength = 64): string[] {
  const parts = Array.isArray(raw)
    ? raw.map((x) => String(x))
    : typeof raw === "string"
      ? raw.split(/[|;]/)
      : raw === undefined || raw === null
        ? []
        : [String(raw)];
  const labels = new Set<string>();
  for (const p of parts) {
    const label = p.trim().slice(0, maxLength);
    if (label && !NO_LABEL.test(label)) labels.add(label);
    if (labels.size === maxLabels) break;
  }
  return [...labels];
}

/**
 * A year: a year number; the UTC year of an epoch number or a Date; the year written in an ISO-8601 text
 * (2019-05-01); else the one four-digit number of a text (01-Jan-1995, 5/1/2019). Null when absent, when none
 * is found, or outside 1800-2200.
 */
export function parseYear(raw: unknown): number | null {
  const inRange = (year: number) => (year >= 1800 && year <= 2200 ? year : null);
  if (raw === undefined || raw === null || raw === "") return null;
  if (typeof raw === "number" && Number.isInteger(raw) && inRange(raw) !== null) return raw;
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? null : inRange(raw.getUTCFullYear());
  const text = String(raw).trim();
  if (/^\d{4}$/.test(text)) return inRange(Number(text));
  if (typeof raw === "number" || typeof raw === "bigint" || /^\d+(\.\d+)?$/.test(text)) {
    const ms = parseTimestamp(raw);
    return "value" in ms ? inRange(new Date(ms.value).getUTCFullYear()) : null;
  }
  const iso = ISO_TEXT.exec(text);
  if (iso) return inRange(Number(iso[1]));
  const years = text.match(/(?<!\d)\d{4}(?!\d)/g);
  return years?.length === 1 ? inRange(Number(years[0])) : null;
}
