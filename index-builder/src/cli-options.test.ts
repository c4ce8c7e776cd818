import { describe, expect, it } from "vitest";
import { importOptionsFrom } from "./import/import-args";
import { oneOf, rankerMode } from "./cli-options";

describe("oneOf", () => {
  it("passes a listed value and an absent one, and refuses the rest naming the flag and its choices", () => {
    expect(oneOf("--x", "b", ["a", "b"] as const)).toBe("b");
    expect(oneOf("--x", undefined, ["a", "b"] as const)).toBeUndefined();
    expect(() => oneOf("--x", "c", ["a", "b"] as const)).toThrow("--x must be one of a, b");
    expect(() => importOptionsFrom({ interactions: "log.csv", kind: "stars" })).toThrow("--kind must be one of ratings, plays, purchases, clicks");
    expect(() => importOptionsFrom({ interactions: "log.csv", format: "xlsx" })).toThrow("--format must be one of csv, tsv, jsonl, parquet");
    expect(importOptionsFrom({ interactions: "log.csv" })).toMatchObject({ kind: "plays", format: undefined });
  });
});

describe("rankerMode", () => {
  it("reads --ranker as build and start take it: auto by default, and a wrong mode names the choices", () => {
    expect(rankerMode(undefined)).toBe(true);
    expect(rankerMode("auto")).toBe(true);
    expect(rankerMode("always")).toBe("always");
    expect(rankerMode("off")).toBe(false);
    expect(() => rankerMode("on")).toThrow("--ranker must be one of auto, always, off");
  });
});
