import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { npyBytes } from "./fixtures/write-npy";
import { sparkFactorsParquet } from "./fixtures/write-spark-parquet";
import { readVectorFile } from "./vector-file";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vector-file-test-"));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function file(name: string, bytes: ArrayBuffer | Uint8Array): Promise<string> {
  await writeFile(join(dir, name), new Uint8Array(bytes));
  return join(dir, name);
}

const vectors = Float32Array.from({ length: 7 * 3 }, (_, i) => Math.fround(Math.sin(i + 1)));

describe("readVectorFile", () => {
  it("reads Spark ALS's itemFactors shape across row groups, and the same vectors from a structured .npy", async () => {
    const ids = [3, 1, 4, 15, 9, 2, 6];
    const parquet = await readVectorFile(await file("items.parquet", sparkFactorsParquet(ids, vectors, 3, 2)));
    const npy = await readVectorFile(await file("items.npy", npyBytes(ids, vectors, 3)));
    for (const read of [parquet, npy]) {
      expect(read).toMatchObject({ dims: 3, ids: ids.map(String), rewrittenIds: 0 });
      expect(read.vectors).toEqual(vectors);
    }
  });

  it("reads an .npy that numpy itself wrote (int64 ids, (16,) float32 features)", async () => {
    const read = await readVectorFile(join(import.meta.dirname, "fixtures", "numpy-item-factors.npy"));
    expect(read.ids).toEqual(Array.from({ length: 40 }, (_, i) => String(1000 + i)));
    expect(read.dims).toBe(16);
    // Values printed by numpy when the fixture was written: a['features'][3][:4] and the sum of all.
    expect(Array.from(read.vectors.subarray(3 * 16, 3 * 16 + 4))).toEqual([0.19381565, 1.1116332, -0.20552304, -0.92589957].map(Math.fround));
    expect(read.vectors.reduce((a, b) => a + b, 0)).toBeCloseTo(44.705173, 3);
  });

  it("reads the directory Spark writes: its part files in name order, a duplicate named with both parts", async () => {
    const ids = [3, 1, 4, 15, 9, 2, 6];
    const spark = join(dir, "itemFactors");
    await mkdir(spark);
    await writeFile(join(spark, "_SUCCESS"), "");
    await writeFile(join(spark, "part-00000-x.snappy.parquet"), new Uint8Array(sparkFactorsParquet(ids.slice(0, 4), vectors.subarray(0, 12), 3)));
    await writeFile(join(spark, "part-00001-x.snappy.parquet"), new Uint8Array(sparkFactorsParquet(ids.slice(4), vectors.subarray(12), 3)));
    await writeFile(join(spark, ".part-00000-x.snappy.parquet.crc"), "crc");
    const read = await readVectorFile(spark);
    expect(read).toMatchObject({ file: spark, dims: 3, ids: ids.map(String) });
    expect(read.vectors).toEqual(vectors);
    await writeFile(join(spark, "part-00002-x.snappy.parquet"), new Uint8Array(sparkFactorsParquet([9], vectors.subarray(0, 3), 3)));
    await expect(readVectorFile(spark)).rejects.toThrow(
      `${join(spark, "part-00002-x.snappy.parquet")} row 1: id "9" repeats row 1 of ${join(spark, "part-00001-x.snappy.parquet")}`,
    );
  });

  it("rewrites string ids as the interaction import does", async () => {
    const read = await readVectorFile(await file("strings.npy", npyBytes(["ok-id", "has space", "ü"], vectors.subarray(0, 9), 3)));
    expect(read.ids[0]).toBe("ok-id");
    expect(read.ids[1]).toMatch(/^b64\./);
    expect(read.rewrittenIds).toBe(2);
  });

  it("reads id and vector columns of any name, __proto__ included (--vector-id-column, --vector-column)", async () => {
    const odd = await file(
      "proto.parquet",
      parquetWriteBuffer({
        columnData: [
          { name: "__proto__", data: ["a", "b"] },
          {
            name: "constructor",
            data: [
              [1, 2],
              [3, 4],
            ],
          },
        ],
      }),
    );
    const read = await readVectorFile(odd, { idColumn: "__proto__", vectorColumn: "constructor" });
    expect(read).toMatchObject({ dims: 2, ids: ["a", "b"] });
    expect(Array.from(read.vectors)).toEqual([1, 2, 3, 4]);
  });

  it("names the file and row of the first bad vector", async () => {
    const short = await file(
      "short.parquet",
      parquetWriteBuffer({
        columnData: [
          { name: "id", data: [1, 2, 3] },
          { name: "features", data: [[1, 2], [3, 4], [5]] },
        ],
      }),
    );
    await expect(readVectorFile(short)).rejects.toThrow(`${short} row 3: vector has 1 values, the first row has 2`);
    const nan = Float32Array.from(vectors);
    nan[4 * 3 + 1] = NaN;
    const bad = await file("nan.npy", npyBytes([1, 2, 3, 4, 5, 6, 7], nan, 3));
    await expect(readVectorFile(bad)).rejects.toThrow(`${bad} row 5: value 1 of the vector is NaN, not a finite number`);
    const twice = await file("twice.npy", npyBytes([1, 2, 1], vectors.subarray(0, 9), 3));
    await expect(readVectorFile(twice)).rejects.toThrow(`${twice} row 3: id "1" repeats row 1`);
    const nulls = await file(
      "null.parquet",
      parquetWriteBuffer({
        columnData: [
          { name: "id", data: [1, 2] },
          { name: "features", data: [[1, 2], null] },
        ],
      }),
    );
    await expect(readVectorFile(nulls)).rejects.toThrow(`${nulls} row 2: features is null, not a list of numbers`);
  });

  it("refuses files it cannot read, saying why", async () => {
    const noVector = await file(
      "cols.parquet",
      parquetWriteBuffer({
        columnData: [
          { name: "id", data: [1] },
          { name: "x", data: [2] },
        ],
      }),
    );
    await expect(readVectorFile(noVector)).rejects.toThrow(/no vector column among id, x; expected one of features/);
    const empty = await file("empty.npy", npyBytes([1], vectors.subarray(0, 3), 3).slice(0, 0));
    await expect(readVectorFile(empty)).rejects.toThrow(/not an \.npy file/);
    await expect(readVectorFile(join(dir, "vectors.csv"))).rejects.toThrow(/name it \.parquet or \.npy/);
    const notParquet = await file("bad.parquet", new TextEncoder().encode("id,features\n1,2\n"));
    await expect(readVectorFile(notParquet)).rejects.toThrow(`${notParquet}: not a readable Parquet file`);
  });
});
