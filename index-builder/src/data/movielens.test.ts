import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../local/wrangler";
import { readMovieLensLatest, splitTitleYear } from "./movielens";

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
});
