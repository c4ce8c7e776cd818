import { describe, expect, it } from "vitest";
import { type CatalogFacts } from "../catalog/catalog-item";
import { decisionSnapshotId, decodeDecisionSnapshot, encodeDecisionSnapshot } from "./decision-snapshots";

const row = (itemId: string, available = true): CatalogFacts => ({
  itemId,
  title: `t ${itemId}`,
  categories: ["Drama"],
  year: 2001,
  tags: [],
  available,
  blockedRegions: [],
});

describe("decision snapshots", () => {
  it("name equal content alike, whatever order the rows and their keys came in", async () => {
    const a = encodeDecisionSnapshot({ kind: "overlay", fresh: [row("n1")], rows: [row("b"), row("a"), row("n1")] });
    const reordered = { blockedRegions: [], available: true, tags: [], year: 2001, categories: ["Drama"], title: "t b", itemId: "b" };
    const b = encodeDecisionSnapshot({ kind: "overlay", fresh: [row("n1")], rows: [row("n1"), row("a"), reordered] });
    expect(b).toBe(a);
    expect(await decisionSnapshotId(b)).toBe(await decisionSnapshotId(a));
  });

  it("name different content differently: one changed fact is another snapshot", async () => {
    const a = encodeDecisionSnapshot({ kind: "overlay", fresh: [], rows: [row("a"), row("b")] });
    const b = encodeDecisionSnapshot({ kind: "overlay", fresh: [], rows: [row("a"), row("b", false)] });
    const t = encodeDecisionSnapshot({ kind: "trending", items: [{ itemId: "a", score: 2 }] });
    const t2 = encodeDecisionSnapshot({ kind: "trending", items: [{ itemId: "a", score: 2.5 }] });
    const ids = await Promise.all([a, b, t, t2].map(decisionSnapshotId));
    expect(new Set(ids).size).toBe(4);
    expect(ids.every((id) => /^[0-9a-f]{32}$/.test(id))).toBe(true);
  });

  it("decode what they encode, trending lists in their order, and refuse what is not a snapshot", () => {
    const items = [
      { itemId: "z", score: 3.25 },
      { itemId: "a", score: 1 },
    ];
    expect(decodeDecisionSnapshot(encodeDecisionSnapshot({ kind: "trending", items }))).toEqual({ kind: "trending", items });
    const overlay = decodeDecisionSnapshot(encodeDecisionSnapshot({ kind: "overlay", fresh: [row("n")], rows: [row("b"), row("a")] }));
    expect(overlay).toEqual({ kind: "overlay", fresh: [row("n")], rows: [row("a"), row("b")] });
    for (const junk of ["", "not json", "null", "42", '{"kind":"trending"}', '{"kind":"overlay","fresh":[]}', '{"kind":"other","items":[]}'])
      expect(decodeDecisionSnapshot(junk)).toBeNull();
  });
});
