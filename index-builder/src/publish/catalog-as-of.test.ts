import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_ITEMS_PER_UPSERT } from "../../../shared/catalog/catalog-item";
import { parseManifest } from "../../../shared/index-format/manifest";
import { buildIndex } from "../build/build-index";
import { readMovieLensLatest } from "../data/movielens";
import { importDataset } from "../import/import-dataset";
import { importOptionsFrom } from "../import/import-args";
import { publishIndex } from "./publish-index";

/**
 * The item data's time, from the file to the Worker: the builder records when
 * its item file was last changed, and publication sends it with every catalog
 * batch, so the Worker can keep an operator's later withdrawal
 * (worker/src/catalog/d1-catalog.ts; test/integration/catalog-withdrawal.test.ts).
 */
const MOVIES = 600;
const MOVIES_AT = new Date("2026-02-03T04:05:06Z");
const RATINGS_AT = new Date("2026-02-10T00:00:00Z");

let dir: string;
let server: Server;
let url: string;
/** The bodies of POST /admin/catalog/items the fake admin API received. */
const catalogBodies: Record<string, unknown>[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "catalog-as-of-"));
  const movies = ["movieId,title,genres", ...Array.from({ length: MOVIES }, (_, m) => `${m + 1},Movie ${m + 1} (2001),${m % 2 ? "Drama" : "Comedy"}`)];
  const ratings = ["userId,movieId,rating,timestamp"];
  for (let u = 1; u <= 30; u++)
    for (let k = 0; k < 8; k++) ratings.push(`${u},${((u * 13 + k * 7) % MOVIES) + 1},${1 + ((u + k) % 5)},${1_500_000_000 + u * 1000 + k}`);
  await writeFile(join(dir, "movies.csv"), movies.join("\n") + "\n");
  await writeFile(join(dir, "ratings.csv"), ratings.join("\n") + "\n");
  await utimes(join(dir, "movies.csv"), MOVIES_AT, MOVIES_AT);
  await utimes(join(dir, "ratings.csv"), RATINGS_AT, RATINGS_AT);
  // An admin API that never published and holds every blob: publication sends the manifest and the catalog.
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>) : null;
      const answer = (status: number, json: unknown) => {
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(json));
      };
      const route = `${req.method} ${req.url}`;
      if (route === "GET /admin/index/current") return answer(404, { error: { code: "index_not_published", message: route } });
      if (route === "POST /admin/index/blobs/missing") return answer(200, { missing: [] });
      if (route === "POST /admin/catalog/items") {
        catalogBodies.push(body!);
        return answer(200, { upserted: (body!.items as unknown[]).length });
      }
      if (req.method === "PUT") return answer(200, {});
      answer(404, { error: { code: "not_found", message: route } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe("the item data's time, recorded at build and sent at publication", () => {
  it("records movies.csv's modification time in the manifest and sends it with every catalog batch", async () => {
    const dataset = await readMovieLensLatest(dir);
    expect(dataset.itemsAsOfMs).toBe(MOVIES_AT.getTime());
    const built = await buildIndex(dataset, join(dir, "out"), { ann: false, ranker: false, tune: false });
    const manifest = parseManifest(JSON.parse(await readFile(join(built.dir, "manifest.json"), "utf8")));
    expect(manifest.source.itemsAsOf).toBe(MOVIES_AT.toISOString());

    const lines: string[] = [];
    catalogBodies.length = 0;
    await publishIndex(built.dir, { url, adminKey: "sk_test", log: (line) => lines.push(line) });
    expect(catalogBodies.length).toBe(Math.ceil(MOVIES / MAX_ITEMS_PER_UPSERT));
    for (const body of catalogBodies) expect(body).toMatchObject({ indexVersion: built.version, catalogAsOf: MOVIES_AT.getTime() });
    expect(catalogBodies.reduce((n, body) => n + (body.items as unknown[]).length, 0)).toBe(MOVIES);
    expect(lines).toContain(`catalog: ${MOVIES} items sent, item data as of ${MOVIES_AT.toISOString()}`);
  });

  it("sends no catalogAsOf for a version whose manifest does not record it (built before it was)", async () => {
    const built = await buildIndex(await readMovieLensLatest(dir), join(dir, "old"), { ann: false, ranker: false, tune: false });
    const path = join(built.dir, "manifest.json");
    const manifest = JSON.parse(await readFile(path, "utf8")) as { source: Record<string, unknown> };
    delete manifest.source.itemsAsOf;
    await writeFile(path, JSON.stringify(manifest));
    catalogBodies.length = 0;
    await publishIndex(built.dir, { url, adminKey: "sk_test" });
    expect(catalogBodies.length).toBeGreaterThan(0);
    for (const body of catalogBodies) expect(body).not.toHaveProperty("catalogAsOf");
  });

  it("takes an imported log's items as of the item file, or of the log when there is none", async () => {
    const log = join(dir, "plays.csv");
    const items = join(dir, "items.csv");
    await writeFile(log, "user_id,item_id,plays\nu1,a,3\nu2,b,1\n");
    await writeFile(items, "item_id,title,available\na,Song A,true\nb,Song B,false\n");
    await utimes(log, RATINGS_AT, RATINGS_AT);
    await utimes(items, MOVIES_AT, MOVIES_AT);
    expect((await importDataset({ interactions: log, items, kind: "plays" })).dataset.itemsAsOfMs).toBe(MOVIES_AT.getTime());
    expect((await importDataset({ interactions: log, kind: "plays" })).dataset.itemsAsOfMs).toBe(RATINGS_AT.getTime());
    // --items-as-of states it, for a file whose time says nothing (checked out or copied afresh each run).
    const stated = importOptionsFrom({ interactions: log, items, "items-as-of": "2026-12-06T03:00:00+01:00" });
    expect(stated.itemsAsOfMs).toBe(Date.parse("2026-12-06T02:00:00Z"));
    expect((await importDataset(stated)).dataset.itemsAsOfMs).toBe(Date.parse("2026-12-06T02:00:00Z"));
    expect(importOptionsFrom({ interactions: log, "items-as-of": "1765000000000" }).itemsAsOfMs).toBe(1765000000000);
    for (const bad of ["2026-12-06T03:00:00", "yesterday", "-5", "2026-11-31T03:00:00Z"])
      expect(() => importOptionsFrom({ interactions: log, "items-as-of": bad })).toThrow(`--items-as-of must be an ISO-8601 date-time with a zone`);
    expect(() => importOptionsFrom({ interactions: log, "items-as-of": "2026-12-05T24:00:00Z" })).toThrow(
      'not "2026-12-05T24:00:00Z": hour 24 does not exist (00-23; midnight is 00:00 of the next day)',
    );
  });

  it("refuses a manifest whose itemsAsOf is not a date-time", async () => {
    const built = await buildIndex(await readMovieLensLatest(dir), join(dir, "bad"), { ann: false, ranker: false, tune: false });
    const manifest = JSON.parse(await readFile(join(built.dir, "manifest.json"), "utf8")) as { source: Record<string, unknown> };
    expect(() => parseManifest({ ...manifest, source: { ...manifest.source, itemsAsOf: "last week" } })).toThrow(/source.itemsAsOf must be a date-time/);
  });
});
