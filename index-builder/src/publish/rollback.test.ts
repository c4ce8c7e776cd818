import { createServer, type Server } from "node:http";
import { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PointerHistory } from "../../../shared/index-format/keys";
import { rollback, rollbackTarget } from "./rollback";

const at = (i: number) => new Date(Date.UTC(2026, 0, 1, i)).toISOString();
const historyOf = (...versions: string[]): PointerHistory => versions.map((version, i) => ({ version, at: at(i) }));

describe("rollbackTarget", () => {
  it("goes to the version current before the current one", () => {
    expect(rollbackTarget(historyOf("A", "Y", "X"), "X")).toEqual({ to: "Y", skipped: [] });
  });

  it("walks back past a version rolled back from, saying so", () => {
    // X went live, was rolled back to Y: rolling back again goes to A, not onto X again.
    const plan = rollbackTarget(historyOf("A", "Y", "X", "Y"), "Y");
    expect(plan.to).toBe("A");
    expect(plan.skipped).toEqual([{ version: "X", reason: `rolled back from: the pointer went back past it to Y at ${at(3)}` }]);
    expect(rollbackTarget(historyOf("A", "Y", "X", "Y", "A"), "A")).toMatchObject({ to: null, skipped: [{ version: "Y" }, { version: "X" }] });
  });

  it("returns to a version named again with --to, and to the one before a newer publication", () => {
    // X rolled back from, then made current again by name: a rollback from it goes to Y.
    expect(rollbackTarget(historyOf("A", "Y", "X", "Y", "X"), "X")).toEqual({ to: "Y", skipped: [] });
    // Y and X rolled back to A, then Z published: a rollback from Z goes to A, and one more finds nothing (Y and X were left).
    expect(rollbackTarget(historyOf("A", "Y", "X", "Y", "A", "Z"), "Z")).toEqual({ to: "A", skipped: [] });
    expect(rollbackTarget(historyOf("A", "Y", "X", "Y", "A", "Z", "A"), "A")).toMatchObject({
      to: null,
      skipped: [{ version: "Z" }, { version: "Y" }, { version: "X" }],
    });
    // --to A straight from X passes over Y too.
    expect(rollbackTarget(historyOf("A", "Y", "X", "A"), "A")).toMatchObject({ to: null, skipped: [{ version: "X" }, { version: "Y" }] });
  });

  it("passes over versions deleted since they served, saying so", () => {
    const published = new Set(["A", "X"]);
    expect(rollbackTarget(historyOf("A", "Y", "X"), "X", published)).toEqual({
      to: "A",
      skipped: [{ version: "Y", reason: "deleted: it has no manifest any more", deleted: true }],
    });
    expect(rollbackTarget(historyOf("A", "Y", "X"), "X", new Set(["X"]))).toMatchObject({ to: null, skipped: [{ version: "Y" }, { version: "A" }] });
  });

  it("has nowhere to go without an earlier version", () => {
    expect(rollbackTarget(historyOf("A"), "A")).toEqual({ to: null, skipped: [] });
    expect(rollbackTarget([], null)).toEqual({ to: null, skipped: [] });
  });
});

/** The admin API's pointer as the Worker keeps it (shared/index-format/index-writer.ts setCurrentVersion), and no experiments. */
let server: Server;
let url: string;
let history: PointerHistory = [];
/** Versions with a manifest; null: every version of the history. */
let published: Set<string> | null = null;
let tick = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      res.setHeader("Content-Type", "application/json");
      const current = history.at(-1)?.version ?? null;
      const listed = published ?? new Set(history.map((h) => h.version));
      if (req.method === "GET" && req.url === "/admin/index/versions")
        return res.end(JSON.stringify({ versions: [...listed].map((version) => ({ version, builtAt: null })), current, history }));
      if (req.method === "GET" && req.url === "/admin/experiments")
        return res.end(JSON.stringify({ experiments: [], holdout: { salt: "h", start: 0, end: 0 } }));
      if (req.method === "PUT" && req.url === "/admin/index/current") {
        const { version } = JSON.parse(body) as { version: string };
        if (!manifests(listed).has(version)) {
          res.statusCode = 404;
          return res.end(JSON.stringify({ error: { code: "not_found", message: `index version ${version} has no manifest; publish it first` } }));
        }
        const now = at(tick++);
        if (history.at(-1)?.version !== version) history.push({ version, at: now });
        return res.end(JSON.stringify({ version, publishedAt: now, catalogAsOf: now }));
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { code: "not_found", message: `${req.method} ${req.url}` } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => new Promise((resolve) => server?.close(resolve)));

/** Which versions the Worker finds a manifest of: those listed, unless a test says the listing lags (`stored`). */
let stored: Set<string> | null = null;
const manifests = (listed: Set<string>) => stored ?? listed;

describe("rollback", () => {
  it("walks back through the history on repeated rollbacks, never back onto the version just rolled back from", async () => {
    history = historyOf("A", "Y", "X");
    tick = 10;
    const lines: string[] = [];
    const options = { url, adminKey: "sk_test", attempts: 1, log: (line: string) => lines.push(line) };
    expect(await rollback(options)).toEqual({ from: "X", to: "Y" });
    expect(await rollback(options)).toEqual({ from: "Y", to: "A" });
    expect(lines).toContain(`skipped X (rolled back from: the pointer went back past it to Y at ${at(10)}); name it with --to to make it current again`);
    await expect(rollback(options)).rejects.toThrow("no earlier version to roll back to (every earlier one was rolled back from: Y, X); name one with --to");
    // Named explicitly, a version rolled back from is current again.
    expect(await rollback({ ...options, to: "X" })).toEqual({ from: "A", to: "X" });
    expect(await rollback(options)).toEqual({ from: "X", to: "A" });
  });

  it("passes over a version deleted since it served, and one the listing still shows but the Worker has no manifest of", async () => {
    // A, Y and X served in turn; Y was deleted (DELETE /admin/index/versions/Y) once X was live.
    history = historyOf("A", "Y", "X");
    published = new Set(["A", "X"]);
    tick = 20;
    const lines: string[] = [];
    const options = { url, adminKey: "sk_test", attempts: 1, log: (line: string) => lines.push(line) };
    expect(await rollback(options)).toEqual({ from: "X", to: "A" });
    expect(lines).toContain("skipped Y (deleted: it has no manifest any more)");

    // The listing lags a deletion (KV lists are eventually consistent): Y is still listed, but PUT finds no manifest.
    history = historyOf("A", "Y", "X");
    published = null;
    stored = new Set(["A", "X"]);
    lines.length = 0;
    expect(await rollback(options)).toEqual({ from: "X", to: "A" });
    expect(lines).toContain("skipped Y (deleted: it has no manifest any more)");

    // Nothing earlier left: the error names what was passed over and why.
    history = historyOf("Y", "X");
    stored = new Set(["X"]);
    published = new Set(["X"]);
    await expect(rollback(options)).rejects.toThrow(
      "no earlier version to roll back to (every earlier one was rolled back from or deleted: Y (deleted)); name one with --to",
    );
    // Named with --to, a deleted version is the Worker's 404, as before.
    await expect(rollback({ ...options, to: "Y" })).rejects.toThrow("answered 404");
    published = null;
    stored = null;
  });
});
