import { readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { loadNodeKernel } from "../../index-builder/src/ann/node-kernel";
import { sha256Hex } from "../checksum";
import { referenceKernel } from "./kernel/reference-kernel";
import { buildParityIndex, parityAnswers } from "./testdata/parity-fixture";

const FILE = new URL("./testdata/parity.json", import.meta.url);

describe("the Node side of the Node/workerd parity fixture", () => {
  it("builds the blobs and gives the answers recorded in parity.json (UPDATE_ANN_PARITY=1 rewrites it)", async () => {
    const kernel = loadNodeKernel();
    const { index, blobs } = buildParityIndex(kernel);
    const sha256: Record<string, string> = {};
    for (const [name, blob] of blobs) sha256[name] = await sha256Hex(blob.bytes);
    const actual = { sha256, answers: parityAnswers(kernel, index) };
    if (process.env.UPDATE_ANN_PARITY === "1") await writeFile(FILE, `${JSON.stringify(actual, null, 2)}\n`);
    expect(actual).toEqual(JSON.parse(await readFile(FILE, "utf8")));
    // The scalar oracle searching the same index agrees on these answers too.
    expect(parityAnswers(referenceKernel, index)).toEqual(actual.answers);
  });
});
