import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../train/seeded-random";
import { type InteractionTable } from "../train/interaction-table";
import { TEST } from "./msr-split";
import { shareHeldAfterFit } from "./carve-check";
import { type EvalSplit, loadImportedSplit } from "./protocols";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "given-split-"));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const quiet = () => {};

/** A play log with repeated pairs (summed by the import) and heavy-tailed counts: 80 users, 12-20 rows, 60 items. */
function playLog(seed: number): { user: string; item: string; plays: number }[] {
  const uniform = mulberry32(seed);
  const rows: { user: string; item: string; plays: number }[] = [];
  for (let u = 0; u < 80; u++) {
    const n = 12 + Math.floor(uniform() * 9);
    for (let k = 0; k < n; k++) {
      const item = Math.floor(60 * uniform() ** 2);
      rows.push({ user: `u${u}`, item: `i${item}`, plays: 1 + Math.floor(Math.exp(8 * uniform())) });
    }
  }
  return rows;
}

const csv = (rows: readonly { user: string; item: string; plays: number }[]) =>
  `user,item,plays\n${rows.map((r) => `${r.user},${r.item},${r.plays}`).join("\n")}\n`;

function pairsOf(table: InteractionTable): string[] {
  return Array.from(table.users, (u, r) => `${table.userIds[u]}|${table.itemIds[table.items[r]!]}`).sort();
}

function expectSameTable(a: InteractionTable, b: InteractionTable): void {
  expect(b.userIds).toEqual(a.userIds);
  expect(b.itemIds).toEqual(a.itemIds);
  expect(b.users).toEqual(a.users);
  expect(b.items).toEqual(a.items);
  expect(b.values).toEqual(a.values);
  expect(b.timestampsSec).toEqual(a.timestampsSec);
}

describe("an evaluation on a split made elsewhere (--test)", () => {
  it("given the carve's own rows as files, sees exactly what the carve saw: training rows, test pairs, the tuning grid", async () => {
    const rows = playLog(5);
    const whole = await writeFile(join(dir, "log.csv"), csv(rows)).then(() => join(dir, "log.csv"));
    const carved = await loadImportedSplit({ interactions: whole, kind: "plays" }, quiet);
    expect(carved.carve.method).toBe("random");
    const held = new Set(pairsOf(carved.test));
    const train = join(dir, "train.csv");
    const test = join(dir, "test.csv");
    await writeFile(train, csv(rows.filter((r) => !held.has(`${r.user}|${r.item}`))));
    await writeFile(test, csv(rows.filter((r) => held.has(`${r.user}|${r.item}`))));
    const given = await loadImportedSplit({ interactions: train, kind: "plays", test }, quiet);
    expect(given.carve).toMatchObject({ method: "random", heldOutUsers: carved.carve.heldOutUsers, heldOutRows: carved.carve.heldOutRows });
    expect(pairsOf(given.test)).toEqual(pairsOf(carved.test));
    expect(given.test.itemIds).toBe(given.train.itemIds);
    expectSameTable(carved.train, given.train);
    // Tuning starts from and searches the same transforms: the carve's are drawn from its training rows only.
    const [a, b] = [carved.imported!.tuning, given.imported!.tuning];
    expect(b.transforms).toEqual(a.transforms);
    for (const t of a.transforms) expectSameTable(a.tableOf(t), b.tableOf(t));
    expect(given.imported!.dataset.interactions).toHaveLength(carved.imported!.dataset.interactions.length);
  });

  it("keeps test-only items as unreachable relevant rows, leaves out users with no training rows, and counts a pair once", async () => {
    const train = join(dir, "t-train.csv");
    const test = join(dir, "t-test.csv");
    const users = Array.from({ length: 30 }, (_, u) => `u${u}`);
    await writeFile(train, `user_id,item_id,count\n${users.flatMap((u, k) => [0, 1, 2].map((j) => `${u},i${(k + j) % 7},${1 + j}`)).join("\n")}\n`);
    const testRows = [...users.map((u, k) => `${u},i${(k + 3) % 7},1`), "u0,i3,2", "u1,new-item,4", "stranger,i1,1"];
    await writeFile(test, `user_id,item_id,count\n${testRows.join("\n")}\n`);
    const lines: string[] = [];
    const split: EvalSplit = await loadImportedSplit({ interactions: train, kind: "plays", test }, (line) => lines.push(line));
    expect(split.test.users.length).toBe(31);
    expect(split.train.userIds).not.toContain("stranger");
    expect(split.train.itemIds).toContain("new-item");
    expect(split.carve.heldOutUsers).toBe(30);
    expect(split.carve.unseenShare).toBeCloseTo(1 / 31, 4);
    expect(split.carve.method).toBe("random");
    expect(lines.join("\n")).toContain("1 users have no training rows and are left out");
    expect(lines.join("\n")).toContain("the rows carry no times that order them");
    expect(split.description).toContain("1 users with no training rows left out");
    // u0's i3 is listed twice in the test file (one pair), and no test pair is a training pair; one that is counts.
    expect(split.description).toContain("0 pairs the training rows hold too");
    const again = join(dir, "t-test-repeat.csv");
    await writeFile(again, `user_id,item_id,count\nu0,i0,5\nu0,i5,1\n`);
    const repeated = await loadImportedSplit({ interactions: train, kind: "plays", test: again }, (line) => lines.push(line));
    expect(repeated.description).toContain("1 pairs the training rows hold too");
    expect(lines.join("\n")).toContain("1 test pairs are training pairs too");
  });

  it("takes the split for a time split when test rows follow each user's training rows, and validation then carves by time", async () => {
    const train = join(dir, "time-train.csv");
    const test = join(dir, "time-test.csv");
    const line = (u: number, i: number, t: number) => `${u},${i},${t}`;
    const users = Array.from({ length: 30 }, (_, u) => u);
    await writeFile(
      train,
      `user,item,timestamp\n${users.flatMap((u) => [0, 1, 2, 3].map((j) => line(u, (u + j) % 9, 1_700_000_000 + 100 * j + u))).join("\n")}\n`,
    );
    await writeFile(test, `user,item,timestamp\n${users.map((u) => line(u, (u + 4) % 9, 1_700_001_000 + u)).join("\n")}\n`);
    const timed = await loadImportedSplit({ interactions: train, kind: "clicks", test }, quiet);
    expect(timed.carve.method).toBe("time");
    expect(timed.description).toContain("for 100.0% of its users the test rows come at or after the last training row");
    // One user in three tested before their training rows end: a random split.
    await writeFile(test, `user,item,timestamp\n${users.map((u) => line(u, (u + 4) % 9, u % 3 === 0 ? 1_600_000_000 : 1_700_001_000)).join("\n")}\n`);
    const mixed = await loadImportedSplit({ interactions: train, kind: "clicks", test }, quiet);
    expect(mixed.carve.method).toBe("random");
  });

  it("runs from the command line: npm run eval -- --interactions TRAIN --test TEST scores on the given rows", async () => {
    const rows = playLog(9);
    const train = join(dir, "cli-train.csv");
    const test = join(dir, "cli-test.csv");
    // Every fifth row of a user is a test row; one user appears in the test file only.
    await writeFile(train, csv(rows.filter((_, k) => k % 5 !== 0)));
    await writeFile(test, csv([...rows.filter((_, k) => k % 5 === 0), { user: "newcomer", item: "i1", plays: 3 }]));
    const out = join(dir, "cli-out");
    const cli = resolve(import.meta.dirname, "cli.ts");
    const args = ["--import", "tsx", cli, "--interactions", train, "--test", test, "--tune-seconds", "0", "--models", "popularity", "--out", out];
    const run = spawnSync(process.execPath, args, { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("1 users have no training rows and are left out");
    // Named for the split it scored on (test rows read from a file), not the time protocol it is otherwise handled as.
    const report = JSON.parse(await readFile(join(out, "eval-cli-train-given.json"), "utf8"));
    expect(report.protocol).toBe("given");
    expect(await readFile(join(out, "eval-cli-train-given.md"), "utf8")).toContain("# Offline evaluation: cli-train, protocol given");
    const split = await loadImportedSplit({ interactions: train, kind: "plays", test }, quiet);
    expect(report.test_rows).toBe(split.test.users.length);
    expect(report.split).toContain("the test rows given in cli-test.csv");
    expect(report.carves.test).toMatchObject({ heldOutUsers: split.carve.heldOutUsers, heldOutRows: split.carve.heldOutRows });
    expect(report.rows.map((r: { model: string }) => r.model)).toEqual(["popularity"]);
    expect(report.rows[0].users).toBe(split.carve.heldOutUsers);
    // --test belongs to an imported log's evaluation.
    const refused = spawnSync(process.execPath, ["--import", "tsx", cli, "--dataset", dir, "--protocol", "time", "--test", test], { encoding: "utf8" });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("--test FILE needs --interactions FILE");
  }, 60_000);

  it("measures the share of users tested after their training rows", () => {
    const table: InteractionTable = {
      userIds: ["a", "b"],
      itemIds: ["x", "y"],
      users: Uint32Array.from([0, 0, 1, 1, 0, 1]),
      items: Uint32Array.from([0, 1, 0, 1, 1, 0]),
      values: new Float32Array(6).fill(1),
      timestampsSec: Float64Array.from([1, 5, 2, 9, 5, 3]),
    };
    const mask = Uint8Array.from([0, 0, 0, 0, TEST, TEST]);
    // a: test at 5, last fit 5 (ties count as after); b: test at 3, last fit 9.
    expect(shareHeldAfterFit(table, mask)).toBe(0.5);
    expect(shareHeldAfterFit({ ...table, timestampsSec: new Float64Array(6) }, mask)).toBeNull();
  });
});
