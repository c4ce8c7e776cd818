import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isValidId } from "../../../shared/ids";
import { CsvRecordReader, parseCsv } from "../data/csv";
import { importOptionsFrom } from "./import-args";
import { TIMESTAMP_FORMS } from "./field-values";
import { importDataset } from "./import-dataset";
import { readRows } from "./row-sources";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "import-test-"));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const rows = [
  { user: "alice", item: "a/1", ts: 1_700_000_000, plays: 3 },
  { user: "bob smith", item: "b,2", ts: 1_700_000_100, plays: 1 },
  { user: "alice", item: "b,2", ts: 1_700_000_200, plays: 12 },
  { user: "bob smith", item: "a/1", ts: 1_700_000_300, plays: 0 },
  { user: "célia", item: "a/1", ts: 1_700_000_400, plays: 2 },
];

async function write(name: string, content: string | ArrayBuffer): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, typeof content === "string" ? content : new Uint8Array(content));
  return file;
}

const csvText = () => "user_id,item_id,timestamp,plays\r\n" + rows.map((r) => `"${r.user}","${r.item}",${r.ts},${r.plays}`).join("\r\n") + "\r\n";

describe("CsvRecordReader", () => {
  it("gives the same records fed one character at a time as fed whole", () => {
    const text = 'a,b\n"x, ""y""\r\nz",1\r\n"q",\n';
    const reader = new CsvRecordReader();
    const records = [...text].flatMap((ch) => reader.push(ch));
    records.push(...reader.end());
    const { header, rows: whole } = parseCsv(text);
    expect(records).toEqual([header, ...whole]);
    expect(whole[0]).toEqual(['x, "y"\r\nz', "1"]);
  });
});

describe("importDataset", () => {
  it("reads CSV, JSON Lines and Parquet into the same dataset", async () => {
    const csv = await write("log.csv", csvText());
    const jsonl = await write(
      "log.jsonl",
      rows.map((r) => JSON.stringify({ user_id: r.user, item_id: r.item, timestamp: new Date(r.ts * 1000).toISOString(), plays: r.plays })).join("\n") + "\n",
    );
    const parquet = await write(
      "log.parquet",
      parquetWriteBuffer({
        columnData: [
          { name: "user_id", data: rows.map((r) => r.user), type: "STRING" },
          { name: "item_id", data: rows.map((r) => r.item), type: "STRING" },
          { name: "timestamp", data: rows.map((r) => BigInt(r.ts * 1000)), type: "INT64" },
          { name: "plays", data: rows.map((r) => r.plays), type: "INT32" },
        ],
        rowGroupSize: 2,
      }),
    );
    const [a, b, c] = await Promise.all([csv, jsonl, parquet].map((file) => importDataset({ interactions: file, kind: "plays" })));
    expect(a!.dataset.interactions).toEqual(b!.dataset.interactions);
    expect(a!.dataset.interactions).toEqual(c!.dataset.interactions);
    // The zero-play row is no interaction; ids that are not Worker ids are rewritten, valid ones kept.
    expect(a!.dataset.interactions).toHaveLength(4);
    expect(a!.summary).toMatchObject({ rows: 4, users: 3, items: 2, pairs: 4, zeroRows: 1, rewrittenIds: 4 });
    expect(a!.summary.timeRange).toMatchObject({ from: "2023-11-14T22:13:20.000Z", to: "2023-11-14T22:20:00.000Z" });
    expect(a!.summary.weights).toMatchObject({ min: 1, max: 12 });
    const ids = new Set(a!.dataset.interactions.flatMap((x) => [x.userId, x.itemId]));
    expect(ids.has("alice")).toBe(true);
    for (const id of ids) expect(isValidId(id), id).toBe(true);
    expect(a!.dataset.items.map((i) => i.title).sort()).toEqual(["b64.YS8x", "b64.Yiwy"]);
  });

  it("rewrites ids of dots alone (a URL drops . and .. as path segments) like any other id the Worker refuses", async () => {
    const file = await write("dots.csv", "user_id,item_id,plays\n.,..,1\n...,.,2\n.u.,a..b,3\n");
    const { dataset, summary } = await importDataset({ interactions: file, kind: "plays" });
    expect(dataset.interactions.map((x) => [x.userId, x.itemId])).toEqual([
      ["b64.Lg", "b64.Li4"],
      ["b64.Li4u", "b64.Lg"],
      [".u.", "a..b"],
    ]);
    expect(summary.rewrittenIds).toBe(3);
  });

  it("reads Parquet one row group at a time, numbering rows across groups", async () => {
    const file = await write(
      "groups.parquet",
      parquetWriteBuffer({ columnData: [{ name: "n", data: Int32Array.from({ length: 7 }, (_, i) => i), type: "INT32" }], rowGroupSize: 3 }),
    );
    const seen: number[] = [];
    for await (const { fields, row } of readRows(file)) {
      expect(row).toBe(Number(fields.n) + 1);
      seen.push(Number(fields.n));
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("reads a column of any name, __proto__ and constructor included, from CSV, JSON Lines and Parquet alike", async () => {
    const log = [
      { user: "u1", plays: 5, item: "i1" },
      { user: "u2", plays: 3, item: "i2" },
    ];
    const csv = await write("proto.csv", "__proto__,constructor,item_id\n" + log.map((r) => `${r.user},${r.plays},${r.item}`).join("\n") + "\n");
    const jsonl = await write(
      "proto.jsonl",
      log.map((r) => `{"__proto__":${JSON.stringify(r.user)},"constructor":${r.plays},"item_id":${JSON.stringify(r.item)}}`).join("\n") + "\n",
    );
    const parquet = await write(
      "proto.parquet",
      parquetWriteBuffer({
        columnData: [
          { name: "__proto__", data: log.map((r) => r.user), type: "STRING" },
          { name: "constructor", data: log.map((r) => r.plays), type: "INT32" },
          { name: "item_id", data: log.map((r) => r.item), type: "STRING" },
        ],
      }),
    );
    for (const file of [csv, jsonl, parquet]) {
      const rows = [];
      for await (const { fields } of readRows(file)) rows.push(fields);
      expect(
        rows.map((f) => [Object.hasOwn(f, "__proto__"), f["__proto__"], f["constructor"]]),
        file,
      ).toEqual([
        [true, "u1", file === csv ? "5" : 5],
        [true, "u2", file === csv ? "3" : 3],
      ]);
      const { dataset, summary } = await importDataset({ interactions: file, kind: "plays", columns: { user: "__proto__", weight: "constructor" } });
      expect(
        dataset.interactions.map((x) => [x.userId, x.itemId, x.count]),
        file,
      ).toEqual([
        ["u1", "i1", 5],
        ["u2", "i2", 3],
      ]);
      expect(summary.columns).toMatchObject({ user: "__proto__", weight: "constructor" });
    }
    // An item file's other columns become tags whatever their names.
    const items = await write("proto-items.csv", "item_id,title,__proto__,toString\ni1,One,x,y\n");
    const { dataset } = await importDataset({ interactions: csv, items, kind: "plays", columns: { user: "__proto__" } });
    expect(dataset.items.find((i) => i.itemId === "i1")).toMatchObject({ title: "One", tags: ["__proto__:x", "toString:y"] });
    // A column a line lacks is absent, not the function Object.prototype lends under its name.
    const lacking = await write("lacking.jsonl", '{"user_id":"u","item_id":"i","toString":"click"}\n{"user_id":"u","item_id":"i"}\n');
    await expect(importDataset({ interactions: lacking, kind: "clicks", columns: { event: "toString" } })).rejects.toThrow(
      `${lacking} line 2: event type missing: one of`,
    );
    // Two columns of one name cannot both be read: refused, not one of them dropped.
    const twice = await write("twice.csv", "user_id,item_id,user_id\nu1,i1,u2\n");
    await expect(importDataset({ interactions: twice, kind: "plays" })).rejects.toThrow(`${twice}: columns 1 and 3 are both named "user_id": rename one`);
  });

  it("reads item metadata: categories, created year, availability, other columns as tags", async () => {
    const log = await write("items-log.csv", "user,item\nu1,m1\nu1,m2\n");
    // Columns are named by the first record; a title under another name later is an attribute.
    const items = await write(
      "items.jsonl",
      [
        JSON.stringify({ item_id: "m1", title: "First", genres: "Rock|Jazz", created_at: "2019-05-01T00:00:00Z", available: "no", label: "X" }),
        JSON.stringify({ item_id: "m3", title: "Third", genres: ["Pop"], created_at: 2001 }),
        JSON.stringify({ item_id: "m4", title: "Fourth", genres: "(no genres listed)" }),
        JSON.stringify({ item_id: "m5", title: "Fifth", genres: "Unknown|Folk|N/A" }),
      ].join("\n"),
    );
    const { dataset } = await importDataset({ interactions: log, items, kind: "clicks" });
    const byId = new Map(dataset.items.map((i) => [i.itemId, i]));
    expect(byId.get("m1")).toEqual({ itemId: "m1", title: "First", categories: ["Rock", "Jazz"], year: 2019, tags: ["label:X"], available: false });
    expect(byId.get("m3")).toMatchObject({ title: "Third", categories: ["Pop"], year: 2001, available: true });
    // Placeholders are no category: MovieLens's "(no genres listed)" would otherwise put every such item in one.
    expect(byId.get("m4")).toMatchObject({ categories: [] });
    expect(byId.get("m5")).toMatchObject({ categories: ["Folk"] });
    // Met only in the log: its id is its title.
    expect(byId.get("m2")).toMatchObject({ title: "m2", categories: [], available: true });
    expect(dataset.interactions.every((x) => x.timestampMs === 0 && x.count === undefined)).toBe(true);
  });

  it("names the file and line of the first bad value, as an editor numbers them", async () => {
    const bad = await write("bad.csv", "user_id,item_id,plays\nu1,i1,3\nu2,i2,many\n");
    await expect(importDataset({ interactions: bad, kind: "plays" })).rejects.toThrow(
      `${bad} line 3: column "plays": weight "many" is not a non-negative number`,
    );
    const width = await write("width.csv", "user_id,item_id\nu1,i1\nu2,i2,extra\n");
    await expect(importDataset({ interactions: width, kind: "plays" })).rejects.toThrow(`${width} line 3: 3 fields, the header has 2`);
    // A quoted field may span lines: the line named is still the one the bad record starts on.
    const spanning = await write("spanning.csv", 'user_id,item_id,plays\nu1,"i1\nsecond line",3\n\nu2,i2,-1\n');
    await expect(importDataset({ interactions: spanning, kind: "plays" })).rejects.toThrow(`${spanning} line 5: column "plays": weight "-1"`);
    const json = await write("bad.jsonl", '{"user_id":"u","item_id":"i"}\n{"user_id":\n');
    await expect(importDataset({ interactions: json, kind: "plays" })).rejects.toThrow(`${json} line 2: not JSON`);
    const rating = await write("stars.csv", "user_id,item_id,rating\nu,i,7\n");
    await expect(importDataset({ interactions: rating, kind: "ratings" })).rejects.toThrow(`${rating} line 2: rating 7 is outside (0, 5]`);
    const event = await write("events.csv", "user_id,item_id,event\nu,i,teleport\n");
    await expect(importDataset({ interactions: event, kind: "clicks" })).rejects.toThrow(`${event} line 2: event type "teleport" is not one of`);
    // An impossible date is refused as the Worker refuses it, not rolled over to the next month or day.
    const dates = await write("dates.csv", "user_id,item_id,timestamp\nu,i,2026-11-30T10:00:00Z\nu,i,2026-11-31T10:00:00Z\n");
    await expect(importDataset({ interactions: dates, kind: "clicks" })).rejects.toThrow(
      `${dates} line 3: column "timestamp": timestamp "2026-11-31T10:00:00Z" is not a real date-time: day 31 does not exist in 2026-11, which has 30 days`,
    );
    const midnight = await write("midnight.csv", "user_id,item_id,timestamp\nu,i,2026-12-05 24:00\n");
    await expect(importDataset({ interactions: midnight, kind: "clicks" })).rejects.toThrow(
      `${midnight} line 2: column "timestamp": timestamp "2026-12-05 24:00" is not a real date-time: hour 24`,
    );
    // Texts in no form the import takes are refused, naming the forms, not read by Date.parse's loose parser (which took
    // "Nov 31 2026" and "2026/11/31" for December 1).
    for (const text of ["Nov 31 2026", "2026/11/31"]) {
      const loose = await write("loose.csv", `user_id,item_id,timestamp\nu,i,1765000000\nu,i,${text}\n`);
      await expect(importDataset({ interactions: loose, kind: "clicks" })).rejects.toThrow(
        `${loose} line 3: column "timestamp": timestamp "${text}" is not one of the forms taken: ${TIMESTAMP_FORMS}`,
      );
    }
    const noUser = await write("nouser.csv", "who,item_id\nu,i\n");
    await expect(importDataset({ interactions: noUser, kind: "plays" })).rejects.toThrow(`${noUser}: no user column`);
    await expect(importDataset({ interactions: noUser, kind: "plays", columns: { user: "who" } })).resolves.toBeDefined();
  });

  it("reads the same moments from epoch numbers, ISO-8601 texts of any zone and Parquet timestamps, a zone-less text as UTC", async () => {
    const at = [Date.UTC(2026, 11, 5, 10), Date.UTC(2026, 11, 5, 11, 30), Date.UTC(2026, 11, 6)];
    const texts = (forms: string[]) => forms.map((t, i) => `u${i},i${i},${t}`).join("\n");
    const files = await Promise.all([
      write("epoch-s.csv", "user_id,item_id,timestamp\n" + texts(at.map((t) => String(t / 1000)))),
      write("epoch-ms.csv", "user_id,item_id,timestamp\n" + texts(at.map(String))),
      write("iso.csv", "user_id,item_id,timestamp\n" + texts(["2026-12-05T10:00:00Z", "2026-12-05T13:30:00+02:00", "2026-12-05T19:00:00-0500"])),
      write("zoneless.csv", "user_id,item_id,timestamp\n" + texts(["2026-12-05 10:00:00", "2026-12-05T11:30", "2026-12-06"])),
      write(
        "timestamps.parquet",
        parquetWriteBuffer({
          columnData: [
            { name: "user_id", data: at.map((_, i) => `u${i}`), type: "STRING" },
            { name: "item_id", data: at.map((_, i) => `i${i}`), type: "STRING" },
            { name: "timestamp", data: at.map((t) => new Date(t)), type: "TIMESTAMP" },
          ],
        }),
      ),
    ]);
    for (const file of files) {
      const { dataset } = await importDataset({ interactions: file, kind: "clicks" });
      expect(
        dataset.interactions.map((x) => x.timestampMs),
        file,
      ).toEqual(at);
    }
  });

  it("tells the format from the first bytes when the name does not say, and finds columns in any case", async () => {
    const expected = (await importDataset({ interactions: await write("ref.csv", csvText()), kind: "plays" })).dataset.interactions;
    const lines = (sep: string) => rows.map((r) => [r.user, r.item, r.ts, r.plays].join(sep));
    // Last.fm-style: a tab-separated .dat file whose header spells the names its own way.
    const dat = await write("user_artists.dat", ["userID\tartistID\tTimeStamp\tPlay-Count", ...lines("\t")].join("\n") + "\n");
    const text = await write("log.txt", ["UserId,Item_ID,timestamp,plays", ...rows.map((r) => `"${r.user}","${r.item}",${r.ts},${r.plays}`)].join("\n"));
    const bare = await write(
      "log",
      "\uFEFF" + rows.map((r) => JSON.stringify({ USER: r.user, item: r.item, timestamp: r.ts, Plays: r.plays })).join("\n") + "\n",
    );
    const parquet = await write(
      "log.data",
      parquetWriteBuffer({
        columnData: [
          { name: "user_id", data: rows.map((r) => r.user), type: "STRING" },
          { name: "item_id", data: rows.map((r) => r.item), type: "STRING" },
          { name: "timestamp", data: rows.map((r) => r.ts), type: "INT32" },
          { name: "plays", data: rows.map((r) => r.plays), type: "INT32" },
        ],
      }),
    );
    for (const file of [dat, text, bare, parquet]) {
      const { dataset } = await importDataset({ interactions: file, kind: "plays" });
      expect(dataset.interactions, file).toEqual(expected);
    }
    expect((await importDataset({ interactions: dat, kind: "plays" })).summary.columns).toEqual({
      user: "userID",
      item: "artistID",
      timestamp: "TimeStamp",
      weight: "Play-Count",
      event: undefined,
    });
    // An exact name wins over a loose one, whatever the column order.
    const both = await write("both.csv", "UserId,user_id,item\nx,u1,i1\n");
    expect((await importDataset({ interactions: both, kind: "clicks" })).dataset.interactions[0]).toMatchObject({ userId: "u1" });
    // An item file keyed by a bare id, found by sniffing too.
    const artists = await write("artists.dat", "id\tname\turl\n51\tDuran Duran\thttp://x\n52\tMorcheeba\thttp://y\n");
    const { dataset } = await importDataset({ interactions: dat, items: artists, kind: "plays" });
    expect(dataset.items.find((i) => i.itemId === "51")).toMatchObject({ title: "Duran Duran", tags: ["url:http://x"] });
    // What sniffing cannot read, it says, with the way on.
    const ml1m = await write("ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n");
    await expect(importDataset({ interactions: ml1m, kind: "ratings" })).rejects.toThrow(
      `${ml1m}: cannot tell the format from ".dat" or from the first line: its fields are separated by "::"`,
    );
    const oneColumn = await write("ids.txt", "user\nu1\n");
    await expect(importDataset({ interactions: oneColumn, kind: "plays" })).rejects.toThrow(
      `${oneColumn}: cannot tell the format from ".txt" or from the first line (no tab, comma, semicolon or pipe in it); name it .csv, .tsv, .jsonl or .parquet, or pass --format`,
    );
    // --items-format reads an item file whose name and first line say nothing, and is checked as --format is.
    const opaque = await write("catalog", "id name\n51 Duran\n");
    await expect(importDataset({ interactions: dat, items: opaque, kind: "plays" })).rejects.toThrow(`${opaque}: cannot tell the format`);
    const options = importOptionsFrom({ interactions: dat, items: artists, "items-format": "tsv" });
    expect(options.itemsFormat).toBe("tsv");
    expect((await importDataset(options)).dataset.items.find((i) => i.itemId === "52")).toMatchObject({ title: "Morcheeba" });
    expect(() => importOptionsFrom({ interactions: dat, items: artists, "items-format": "xlsx" })).toThrow(
      "--items-format must be one of csv, tsv, jsonl, parquet",
    );
    expect(() => importOptionsFrom({ interactions: dat, "items-format": "tsv" })).toThrow("--items-format needs --items FILE");
    // A spreadsheet's "CSV" where the comma is the decimal mark: semicolons (or pipes) between fields.
    const semicolons = await write("excel.csv", ["user_id;item_id;timestamp;plays", ...lines(";")].join("\r\n") + "\r\n");
    const pipes = await write("export", ["user_id|item_id|timestamp|plays", ...lines("|")].join("\n") + "\n");
    for (const file of [semicolons, pipes]) expect((await importDataset({ interactions: file, kind: "plays" })).dataset.interactions, file).toEqual(expected);
    const decimalComma = await write("ratings.csv", "user;item;rating\nu1;a;4\nu1;b;3,5\n");
    await expect(importDataset({ interactions: decimalComma, kind: "ratings" })).rejects.toThrow(
      `${decimalComma} line 3: column "rating": weight "3,5" is not a non-negative number; write the decimal mark as a point (3.5)`,
    );
    const missing = join(dir, "absent.dat");
    await expect(importDataset({ interactions: missing, kind: "plays" })).rejects.toThrow(`${missing}: cannot read it (ENOENT`);
  });

  it("reads a CSV or TSV without a header line when --header names its columns, and says so when one is missing", async () => {
    const withHeader = await importDataset({ interactions: await write("named.csv", csvText()), kind: "plays" });
    const bare = csvText().split("\r\n").slice(1).join("\n");
    const headerless = await importDataset({
      interactions: await write("bare.csv", bare),
      kind: "plays",
      header: ["user_id", "item_id", "timestamp", "plays"],
    });
    expect(headerless.dataset.interactions).toEqual(withHeader.dataset.interactions);
    // MovieLens-100K's u.data shape: tab-separated user, item, weight, Unix seconds, no header.
    const udata = await write("u.data", rows.map((r) => `${r.user}\t${r.item}\t${r.plays}\t${r.ts}`).join("\n") + "\n");
    const tsv = await importDataset({ interactions: udata, kind: "plays", format: "tsv", header: ["user", "item", "weight", "timestamp"] });
    expect(tsv.dataset.interactions).toEqual(withHeader.dataset.interactions);
    expect(tsv.summary).toMatchObject({ rows: 4, zeroRows: 1 });
    // Without --header a first line of numbers is taken for data, and the message says what to pass.
    const numbers = await write("numbers.tsv", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n");
    await expect(importDataset({ interactions: numbers, kind: "plays" })).rejects.toThrow(
      `${numbers}: the first line (196, 242, 3, 881250949) looks like data, not column names: name the columns in order with --header`,
    );
    await expect(importDataset({ interactions: numbers, kind: "plays", header: ["user", "item", "weight"] })).rejects.toThrow(
      `${numbers} line 1: 4 fields, the --header has 3`,
    );
    const jsonl = await write("h.jsonl", '{"user_id":"u","item_id":"i"}\n');
    await expect(importDataset({ interactions: jsonl, kind: "plays", header: ["user_id", "item_id"] })).rejects.toThrow(
      `${jsonl}: --header names the columns of a CSV or TSV file without a header line, not of jsonl`,
    );
  });
});
