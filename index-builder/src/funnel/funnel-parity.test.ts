import { readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { fixtureFunnelIndex, PAGED_ITEMS, randomMlp } from "../../../test/fixtures/funnel-index";
import { runParityCases } from "../../../test/fixtures/funnel-parity";
import { loadNodeKernel } from "../ann/node-kernel";
import { memoryFunnelPorts } from "./memory-ports";

const FILE = new URL("../../../test/fixtures/funnel-parity.json", import.meta.url);

describe("the builder's side of the one-funnel parity check", () => {
  it("answers every parity case as funnel-parity.json records (UPDATE_FUNNEL_PARITY=1 rewrites it)", async () => {
    const kernel = loadNodeKernel();
    const fixture = fixtureFunnelIndex(kernel);
    const index = { version: "v-parity", ...fixture, lightWeights: null };
    const actual = await runParityCases(memoryFunnelPorts(index, { kernel, ranker: randomMlp(3) }));
    if (process.env.UPDATE_FUNNEL_PARITY === "1") await writeFile(FILE, `${JSON.stringify(actual, null, 1)}\n`);
    expect(actual).toEqual(JSON.parse(await readFile(FILE, "utf8")));
    // The cases mean something: lists are full, the heavy ranker ordered its case, nothing degraded.
    for (const [name, result] of Object.entries(actual)) {
      expect(result.degraded, name).toEqual([]);
      expect(result.entries.length, name).toBeGreaterThanOrEqual(20);
      expect(result.ranker, name).toBe(name === "heavy ranker" ? "heavy" : "light");
    }
  });

  it("answers the same over the same index with its item table paged (as a large catalog's is)", async () => {
    const kernel = loadNodeKernel();
    const fixture = fixtureFunnelIndex(kernel, PAGED_ITEMS);
    expect(fixture.funnel.itemPages?.idPages).toBeGreaterThan(1);
    const index = { version: "v-parity-paged", ...fixture, lightWeights: null };
    const actual = await runParityCases(memoryFunnelPorts(index, { kernel, ranker: randomMlp(3) }));
    expect(actual).toEqual(JSON.parse(await readFile(FILE, "utf8")));
  });
});
