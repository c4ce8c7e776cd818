import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { syntheticPlays } from "./lib/synthetic-plays";

/**
 * A stand-in for an interaction log the project has never seen: the demo
 * ratings (data/ml-latest-small/ratings.csv) rewritten as a play-count log
 * with no timestamps, user,item,weight with weight = 2 × stars (1 to 10
 * "plays"), then run through `npm run eval -- --interactions FILE --kind plays`
 * unchanged: import, the per-user random carve (no timestamps), tuning on
 * validation, every report row. It is not a real play log (counts derived
 * from stars are bounded and evenly spread); it checks that nothing in the
 * pipeline assumes MovieLens' shape and that the served funnel holds its
 * own against the tuned iALS on such a log. Results:
 * bench/results/eval-ml-latest-small-plays-time.{json,md}.
 *
 * `--synthetic` runs the same eval on a generated log in the unseen log's
 * shape instead (bench/lib/synthetic-plays.ts: 1.9k users, 17.6k items,
 * heavy-tailed counts): bench/results/eval-synthetic-plays-time.{json,md}.
 *
 *   npm run bench:plays-proxy [-- --synthetic] [-- --tune-seconds N]
 */
const root = resolve(import.meta.dirname, "..");
const synthetic = process.argv.includes("--synthetic");
const evalArgs = process.argv.slice(2).filter((a) => a !== "--synthetic");
const dir = mkdtempSync(join(tmpdir(), "plays-proxy-"));
const file = join(dir, synthetic ? "synthetic-plays.csv" : "ml-latest-small-plays.csv");
const rows = synthetic ? syntheticPlays().map((r) => `${r.user},${r.item},${r.plays}`) : demoAsPlays();
writeFileSync(file, `user,item,weight\n${rows.join("\n")}\n`);
console.log(`wrote ${rows.length} rows to ${file}`);
const result = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    join(root, "index-builder", "src", "eval", "cli.ts"),
    "--interactions",
    file,
    "--kind",
    "plays",
    "--out",
    join(root, "bench", "results"),
    ...evalArgs,
  ],
  { stdio: "inherit", cwd: root },
);
rmSync(dir, { recursive: true, force: true });
process.exitCode = result.status ?? 1;

function demoAsPlays(): string[] {
  const ratings = readFileSync(join(root, "data", "ml-latest-small", "ratings.csv"), "utf8")
    .trim()
    .split("\n")
    .slice(1);
  return ratings.map((line) => {
    const [user, item, stars] = line.split(",");
    return `${user},${item},${Math.round(Number(stars) * 2)}`;
  });
}
