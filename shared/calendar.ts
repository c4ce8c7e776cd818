/**
 * Date.parse rolls an impossible date over instead of refusing it
 * (2026-11-31 reads as December 1, T24:00 as the next day's midnight), so
 * the parts of a date-time written in ISO-8601 order are checked first:
 * month 01-12, day within its month (29 February in leap years only), hour
 * 00-23, minute and second 00-59, a zone offset at most ±23:59. A leap
 * second (:60) is refused: epoch milliseconds have none to map it to (and
 * Date.parse refuses it too).
 */
const DATE_TIME_PARTS = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?\s*(?:Z|[+-](\d{2}):?(\d{2}))?)?/i;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/**
 * Why a text that starts with an ISO-8601 date (`YYYY-MM-DD`, then maybe
 * `THH:MM[:SS]` and a zone) names no real moment, or null when its parts
 * are all real (or it is not in that form: the caller's format check says
 * what is wrong then).
 */
export function calendarProblem(text: string): string | null {
  const m = DATE_TIME_PARTS.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, offsetH, offsetM] = m as unknown as (string | undefined)[];
  const month = Number(mo);
  if (month < 1 || month > 12) return `month ${mo} does not exist (01-12)`;
  const days = month === 2 && isLeapYear(Number(y)) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (Number(d) < 1 || Number(d) > days) return `day ${d} does not exist in ${y}-${mo}, which has ${days} days`;
  if (h !== undefined && Number(h) > 23) return `hour ${h} does not exist (00-23; midnight is 00:00 of the next day)`;
  if (mi !== undefined && Number(mi) > 59) return `minute ${mi} does not exist (00-59)`;
  if (s !== undefined && Number(s) > 59) return `second ${s} does not exist (00-59; a leap second has no epoch time)`;
  if (offsetH !== undefined && (Number(offsetH) > 23 || Number(offsetM) > 59)) return `offset ${offsetH}:${offsetM} does not exist (at most 23:59)`;
  return null;
}
