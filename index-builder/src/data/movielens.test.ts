import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseMl100k } from "../eval/ml-100k";
import { PROJECT_ROOT } from "../local/wrangler";
import { DatasetFormatError, readMovieLensLatest, splitTitleYear } from "./movielens";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A MovieLens-shaped directory with these ratings rows (movies 1 and 2; no tags.csv unless given). */
async function movieLensDir(ratings: string[], tags?: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "movielens-"));
  dirs.push(dir);
  await writeFile(join(dir, "movies.csv"), "movieId,title,genres\n1,Heat (1995),Action|Crime\n2,Babylon 5,(no genres listed)\n");
  await writeFile(join(dir, "ratings.csv"), ["userId,movieId,rating,timestamp", ...ratings].join("\n") + "\n");
  if (tags) await writeFile(join(dir, "tags.csv"), ["userId,movieId,tag,timestamp", ...tags].join("\n") + "\n");
  return dir;
}

describe("MovieLens latest-small reader", () => {
  it("splits the year off titles", () => {
    expect(splitTitleYear("Heat (1995)")).toEqual({ title: "Heat", year: 1995 });
    expect(splitTitleYear("Babylon 5")).toEqual({ title: "Babylon 5", year: null });
    expect(splitTitleYear("Fawlty Towers (1975-1979)")).toEqual({ title: "Fawlty Towers", year: 1975 });
    expect(splitTitleYear("Tokyo! (2008)")).toEqual({ title: "Tokyo!", year: 2008 });
  });

  it("reads the demo data with the counts its README states", async () => {
    const data = await readMovieLensLatest(join(PROJECT_ROOT, "data", "ml-latest-small"));
    // README.txt: 100836 ratings and 3683 tag applications across 9742 movies, by 610 users.
    expect(data.items).toHaveLength(9742);
    expect(data.interactions).toHaveLength(100836);
    expect(new Set(data.interactions.map((x) => x.userId)).size).toBe(610);
    const toyStory = data.items.find((x) => x.itemId === "1");
    expect(toyStory).toMatchObject({ title: "Toy Story", year: 1995, available: true });
    expect(toyStory!.categories).toEqual(["Adventure", "Animation", "Children", "Comedy", "Fantasy"]);
    expect(toyStory!.tags).toContain("pixar");
    expect(data.items.every((x) => !x.categories.includes("(no genres listed)"))).toBe(true);
    expect(data.interactions.every((x) => x.rating !== null && x.rating >= 0.5 && x.rating <= 5)).toBe(true);
  });

  it("reads a directory without tags.csv, and tags when it is there", async () => {
    const plain = await readMovieLensLatest(await movieLensDir(["1,1,4.5,964982703", "1,2,0.5,964982224"]));
    expect(plain.interactions.map((x) => x.rating)).toEqual([4.5, 0.5]);
    expect(plain.items.map((x) => x.tags)).toEqual([[], []]);
    const tagged = await readMovieLensLatest(await movieLensDir(["1,1,4,964982703"], ["1,1,Heist,964982703", "2,1,heist,964982703"]));
    expect(tagged.items[0]!.tags).toEqual(["heist"]);
  });

  it("refuses counts dressed as stars, naming the file and line and saying how to import them", async () => {
    const dir = await movieLensDir(["1,1,4,964982703", "1,2,2431,964982224"]);
    const error = await readMovieLensLatest(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as Error).message).toBe(
      `${join(dir, "ratings.csv")} line 3: rating "2431" is not on MovieLens's 0.5-5 star scale. ` +
        `If this column holds play counts, purchases or another weight, import the file with its kind instead: ` +
        `--interactions ${join(dir, "ratings.csv")} --kind plays (npm run eval, or index-builder build)`,
    );
    for (const bad of ["0", "5.5", "-1", "", "four"]) {
      await expect(readMovieLensLatest(await movieLensDir([`1,1,${bad},964982703`]))).rejects.toThrow(/line 2: rating .* is not on MovieLens's 0\.5-5 star scale/);
    }
  });

  it("names missing files, bad timestamps, empty ids and ragged rows", async () => {
    const dir = await movieLensDir(["1,1,4,964982703"]);
    await rm(join(dir, "movies.csv"));
    await expect(readMovieLensLatest(dir)).rejects.toThrow(new DatasetFormatError(`${join(dir, "movies.csv")} does not exist: a MovieLens 'latest' directory has movies.csv and ratings.csv`));
    await expect(readMovieLensLatest(await movieLensDir(["1,1,4,yesterday"]))).rejects.toThrow(/ratings\.csv line 2: timestamp "yesterday" is not Unix seconds/);
    await expect(readMovieLensLatest(await movieLensDir(["1,1,4,964982703", ",1,4,964982703"]))).rejects.toThrow(/ratings\.csv line 3: empty userId or movieId/);
    await expect(readMovieLensLatest(await movieLensDir(["1,1,4"]))).rejects.toThrow(/ratings\.csv: CSV row 2 has 3 fields, the header has 4/);
  });

  it("checks u.data (MovieLens-100K) rows the same way, on its whole-star 1-5 scale", () => {
    expect(parseMl100k("196\t242\t3\t881250949\n186\t302\t3\t891717742\n").users).toHaveLength(2);
    expect(() => parseMl100k("196\t242\t3\t881250949\n186\t302\t352698\t891717742\n")).toThrow(
      new DatasetFormatError(
        `u.data line 2: rating "352698" is not on MovieLens's 1-5 star scale. If this column holds play counts, purchases or another weight, import the file with its kind instead: --interactions u.data --format tsv --header user,item,weight,timestamp --kind plays (npm run eval, or index-builder build)`,
      ),
    );
    expect(() => parseMl100k("196\t242\t0.5\t881250949\n")).toThrow(/1-5 star scale/);
    expect(() => parseMl100k("196\t242\t3\n")).toThrow(/u\.data line 1 does not have 4 tab-separated fields/);
    expect(() => parseMl100k("196\t242\t3\tnever\n")).toThrow(/u\.data line 1: timestamp "never" is not Unix seconds/);
  });
});
