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
 * Epoch seconds or milliseconds (numbers below 10^11 are seconds: that is
 * the year 5138 in seconds and 1973 in milliseconds), an ISO-8601 text, or
 * a Date (Parquet timestamps). Returns epoch milliseconds. An ISO-8601 text
 * must name a real date and time, as the Worker's events must
 * (shared/calendar.ts): 2026-11-31 or T24:00 is refused, not rolled over.
 */
export function parseTimestamp(raw: unknown): Parsed<number> {
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? { problem: "invalid date" } : { value: raw.getTime() };
  let n: number;
  if (typeof raw === "number" || typeof raw === "bigint") n = Number(raw);
  else if (typeof raw === "string" && raw.trim() !== "") {
    const text = raw.trim();
    n = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (Number.isNaN(n)) {
      const calendar = calendarProblem(text);
      if (calendar !== null) return { problem: `timestamp "${text}" is not a real date-time: ${calendar}` };
      const ms = Date.parse(text);
      return Number.isNaN(ms) ? { problem: `timestamp "${text}" is neither epoch seconds/milliseconds nor an ISO-8601 date` } : { value: ms };
    }
  } else return { problem: "timestamp missing" };
  if (!Number.isFinite(n) || n < 0) return { problem: `timestamp ${String(raw)} is not a non-negative number` };
  return { value: Math.abs(n) < 1e11 ? n * 1000 : n };
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

/** A year from a year number, an epoch time or a date text; null when absent or outside 1800-2200. */
export function parseYear(raw: unknown): number | null {
  if (raw === undefined || raw === null || raw === "") return null;
  if (typeof raw === "number" && Number.isInteger(raw) && raw >= 1800 && raw <= 2200) return raw;
  if (typeof raw === "string" && /^\d{4}$/.test(raw.trim())) return parseYear(Number(raw.trim()));
  const ms = parseTimestamp(raw);
  if (!("value" in ms)) return null;
  const year = new Date(ms.value).getUTCFullYear();
  return year >= 1800 && year <= 2200 ? year : null;
}
