import { describe, expect, it } from "vitest";
import { type Candidate } from "../../../../shared/ranking/candidate";
import { heldOutRecall, proposalsBySource } from "./retrieval-stats";

const candidate = (itemId: string, ...sources: ("ann" | "covisit" | "popular")[]): Candidate => ({
  itemId,
  sources: Object.fromEntries(sources.map((s) => [s, 1])),
});

describe("heldOutRecall", () => {
  it("averages each request's share of its held-out items, overall and per proposing source", () => {
    const requests = new Map([
      [1, [candidate("a", "ann", "covisit"), candidate("b", "ann"), candidate("x", "popular")]],
      [2, [candidate("c", "popular"), candidate("y", "ann")]],
    ]);
    const truth = new Map([
      [1, new Set(["a", "b", "z", "w"])],
      [2, new Set(["c"])],
    ]);
    const r = heldOutRecall(requests, truth);
    expect(r.requests).toBe(2);
    expect(r.all).toBeCloseTo((2 / 4 + 1) / 2, 4);
    expect(r.bySource.ann).toBeCloseTo(2 / 4 / 2, 4);
    expect(r.bySource.covisit).toBeCloseTo(1 / 4 / 2, 4);
    expect(r.bySource.popular).toBeCloseTo(1 / 2, 4);
    expect(r.bySource.content).toBeUndefined();
  });

  it("skips requests whose user has no held-out items", () => {
    const r = heldOutRecall(new Map([[1, [candidate("a", "ann")]]]), new Map([[1, new Set<string>()]]));
    expect(r).toEqual({ all: 0, bySource: {}, requests: 0 });
  });
});

describe("proposalsBySource", () => {
  it("counts each offline source's proposals per request, a candidate of two sources for both, and 0 for a silent source", () => {
    const requests = new Map([
      [1, [candidate("a", "ann", "covisit"), candidate("b", "ann"), candidate("x", "popular")]],
      [2, [candidate("c", "popular"), candidate("y", "ann")]],
    ]);
    expect(proposalsBySource(requests)).toEqual({ proposals_ann: 1.5, proposals_covisit: 0.5, proposals_content: 0, proposals_popular: 1 });
    expect(proposalsBySource(new Map())).toEqual({ proposals_ann: 0, proposals_covisit: 0, proposals_content: 0, proposals_popular: 0 });
  });
});
