import { describe, expect, it } from "vitest";
import { csvObjects, parseCsv } from "./csv";

/** Reference encoder: quote every field, double inner quotes (RFC 4180). */
function encode(rows: string[][], eol: string): string {
  return rows.map((r) => r.map((f) => `"${f.replace(/"/g, '""')}"`).join(",")).join(eol) + eol;
}

describe("parseCsv", () => {
  it("reads quoted commas, quotes and newlines", () => {
    const text = 'movieId,title,genres\n1,"Toy Story, The (1995)",Comedy\n2,"Say ""Hi""\nagain",Drama\r\n3,Plain,\n';
    expect(parseCsv(text)).toEqual({
      header: ["movieId", "title", "genres"],
      rows: [
        ["1", "Toy Story, The (1995)", "Comedy"],
        ["2", 'Say "Hi"\nagain', "Drama"],
        ["3", "Plain", ""],
      ],
    });
  });

  it("round-trips random fields through a reference encoder", () => {
    const alphabet = ['a', 'b', ',', '"', '\n', ' ', 'é', '1'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let run = 0; run < 100; run++) {
      const width = 1 + Math.floor(next() * 4);
      const rows = Array.from({ length: 1 + Math.floor(next() * 5) }, () =>
        Array.from({ length: width }, () => Array.from({ length: Math.floor(next() * 6) }, () => alphabet[Math.floor(next() * alphabet.length)]).join("")),
      );
      const parsed = parseCsv(encode(rows, run % 2 ? "\r\n" : "\n"));
      expect([parsed.header, ...parsed.rows]).toEqual(rows);
    }
  });

  it("names missing columns, ragged rows and unterminated quotes", () => {
    expect(() => csvObjects("a,b\n1,2\n", ["c"])).toThrow(/column "c"/);
    expect(() => csvObjects("a,b\n1\n", ["a"])).toThrow(/row 2 has 1 fields/);
    expect(() => parseCsv('a\n"open')).toThrow(/quoted field/);
  });
});
