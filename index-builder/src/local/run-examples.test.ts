import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { type Dataset } from "../data/movielens";
import { urlComponent, runExamples, shellSingleQuoted } from "./run-examples";

const item = (itemId: string, available = true) => ({ itemId, title: itemId, categories: [], year: null, tags: [], available });
const row = (userId: string, itemId: string) => ({ userId, itemId, rating: null, count: 1, timestampMs: 0 });

describe("npm start's banner examples", () => {
  it("are the data's first users and the most-met available item the first has not met", () => {
    const dataset: Pick<Dataset, "items" | "interactions"> = {
      items: [item("sku_A"), item("sku_B"), item("sku_C", false), item("sku_D")],
      interactions: [
        row("u-17", "sku_A"),
        row("u-3", "sku_A"),
        row("u-3", "sku_C"),
        row("u-17", "sku_D"),
        row("u-9", "sku_C"),
        row("u-9", "sku_B"),
        row("u-40", "sku_C"),
        row("u-40", "sku_B"),
      ],
    };
    // sku_A is u-17's own; sku_C is met most but unavailable; sku_B (2) beats sku_D (1, and u-17's).
    expect(runExamples(dataset)).toEqual({ users: ["u-17", "u-3", "u-9"], itemId: "sku_B" });
  });

  it("refuse data with no rows left", () => {
    expect(() => runExamples({ items: [item("a")], interactions: [] })).toThrow(/no interaction rows/);
  });

  it("quote ids of any shape for a shell and a URL", () => {
    const id = `o'brien & "co" ?x=1`;
    const echoed = execFileSync("sh", ["-c", `printf %s '${shellSingleQuoted(JSON.stringify(id))}'`]).toString();
    expect(JSON.parse(echoed)).toBe(id);
    const url = execFileSync("sh", ["-c", `printf %s 'http://h/?user_id=${urlComponent(id)}'`]).toString();
    expect(new URL(url).searchParams.get("user_id")).toBe(id);
    const path = execFileSync("sh", ["-c", `printf %s 'http://h/v1/items/${urlComponent(id)}'`]).toString();
    expect(decodeURIComponent(new URL(path).pathname.slice("/v1/items/".length))).toBe(id);
  });
});
