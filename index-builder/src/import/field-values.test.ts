import { describe, expect, it } from "vitest";
import { parseTimestamp, parseYear, TIMESTAMP_FORMS } from "./field-values";

const ms = (raw: unknown) => {
  const parsed = parseTimestamp(raw);
  return "value" in parsed ? parsed.value : parsed.problem;
};

describe("parseTimestamp", () => {
  it("takes epoch seconds or milliseconds, Dates, and ISO-8601 with a zone, an offset or none (UTC)", () => {
    const at = Date.UTC(2026, 11, 5, 10, 0, 0);
    for (const raw of [
      at / 1000,
      String(at / 1000),
      at,
      BigInt(at),
      ` ${at} `,
      new Date(at),
      "2026-12-05T10:00:00Z",
      "2026-12-05t10:00:00z",
      "2026-12-05T10:00Z",
      "2026-12-05T10:00:00.000Z",
      "2026-12-05T12:00:00+02:00",
      "2026-12-05T12:00:00+0200",
      "2026-12-05T05:30:00-04:30",
      "2026-12-05 12:00:00 +02:00",
      "2026-12-05 10:00:00 UTC",
      "2026-12-05T10:00:00",
      "2026-12-05 10:00:00",
      "2026-12-05 10:00",
    ])
      expect(ms(raw), String(raw)).toBe(at);
    expect(ms("2026-12-05")).toBe(Date.UTC(2026, 11, 5));
    expect(ms("2026-12-05T10:00:00.123456789Z")).toBe(at + 123);
    expect(ms("2026-12-05 10:00:00,5")).toBe(at + 500);
    expect(ms("1700000000.5")).toBe(1_700_000_000_500);
    expect(ms("2024-02-29T00:00:00Z")).toBe(Date.UTC(2024, 1, 29));
  });

  it("reads a zone-less date-time as UTC whatever the machine's zone", () => {
    const zone = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      // The zone did change: Date.parse reads a zone-less date-time in it.
      expect(Date.parse("2026-12-05T10:00:00")).toBe(Date.UTC(2026, 11, 5, 15));
      expect(ms("2026-12-05T10:00:00")).toBe(Date.UTC(2026, 11, 5, 10));
      expect(ms("2026-12-05 10:00:00")).toBe(Date.UTC(2026, 11, 5, 10));
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("refuses other texts, naming the forms taken, and never rolls an impossible date over", () => {
    for (const text of [
      "Nov 31 2026",
      "2026/11/31",
      "12/1/2026",
      "Dec 1 2026",
      "yesterday",
      "1.7e12",
      "2026-12-05T10",
      "20261205T100000Z",
      "2026-12-05 10:00 PST",
    ])
      expect(ms(text), text).toBe(`timestamp ${JSON.stringify(text)} is not one of the forms taken: ${TIMESTAMP_FORMS}`);
    expect(ms("2026-11-31")).toBe('timestamp "2026-11-31" is not a real date-time: day 31 does not exist in 2026-11, which has 30 days');
    expect(ms("2026-11-31 10:00")).toMatch(/is not a real date-time: day 31 does not exist/);
    expect(ms("2025-02-29T00:00:00Z")).toMatch(/day 29 does not exist in 2025-02/);
    expect(ms("2026-12-05T24:00:00Z")).toMatch(/hour 24 does not exist/);
    expect(ms("2026-12-05T10:60")).toMatch(/minute 60 does not exist/);
    expect(ms("2026-12-05T10:00:60Z")).toMatch(/second 60 does not exist/);
    expect(ms("2026-12-05T10:00:00+24:00")).toMatch(/offset 24:00 does not exist/);
    expect(ms("2026-13-01")).toMatch(/month 13 does not exist/);
  });

  it("refuses what is missing, negative, before 1970 or past milliseconds", () => {
    for (const raw of [undefined, null, "", "  "]) expect(ms(raw)).toBe("timestamp missing");
    expect(ms(-5)).toBe("timestamp -5 is not a non-negative number");
    expect(ms("-5")).toBe("timestamp -5 is not a non-negative number");
    expect(ms("1969-12-31T23:59:59Z")).toBe("timestamp 1969-12-31T23:59:59Z lies before 1970-01-01");
    expect(ms(new Date(-1))).toBe("timestamp 1969-12-31T23:59:59.999Z lies before 1970-01-01");
    expect(ms(new Date(Number.NaN))).toBe("invalid date");
    // Microseconds (Spark, BigQuery) read as milliseconds would be the year 55,000: refused.
    expect(ms(1_765_000_000_000_000)).toMatch(/^timestamp 1765000000000000 is past the year 5138 as epoch milliseconds: micro- or nanoseconds are not taken/);
    expect(ms(99_999_999_999_999)).toBe(99_999_999_999_999);
    expect(ms(true)).toBe(`timestamp "true" is not one of the forms taken: ${TIMESTAMP_FORMS}`);
  });
});

describe("parseYear", () => {
  it("takes the year as written, never a rolled-over one", () => {
    expect(parseYear(1995)).toBe(1995);
    expect(parseYear("1995")).toBe(1995);
    expect(parseYear("2019-05-01T00:00:00Z")).toBe(2019);
    expect(parseYear("1950-05-01")).toBe(1950);
    // Midnight at the end of 2026 is 2027-01-01T00:00 to Date.parse; the year written is 2026.
    expect(parseYear("2026-12-31T24:00:00Z")).toBe(2026);
    expect(parseYear("2000-01-01T00:30:00+01:00")).toBe(2000);
    expect(parseYear("01-Jan-1995")).toBe(1995);
    expect(parseYear("5/1/2019")).toBe(2019);
    expect(parseYear(Date.UTC(2001, 0, 1) / 1000)).toBe(2001);
    expect(parseYear(new Date(Date.UTC(2003, 6, 1)))).toBe(2003);
    for (const raw of [undefined, null, "", "soon", "1995-2001", "1066", 3000, "12/1/26"]) expect(parseYear(raw), String(raw)).toBeNull();
  });
});
