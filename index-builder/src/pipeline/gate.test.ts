import { describe, expect, it } from "vitest";
import { type VersionEvaluation } from "./evaluate-version";
import { DEFAULT_GATE, gate, gateTable } from "./gate";

const live: VersionEvaluation = {
  version: "live",
  ndcgAt10: 0.4,
  recallAt10: 0.1,
  coverage: 0.02,
  users: 45,
  warmUsers: 20,
  annRecallAt100: 0.99,
  degraded: {},
  order: "heavy",
  rankers: { heavy: 20, light: 25 },
  sawHoldout: false,
};

describe("the publication gate", () => {
  it("passes a candidate within the tolerance and refuses one beyond it", () => {
    expect(gate(live, { ...live, version: "c", ndcgAt10: 0.4 * (1 - DEFAULT_GATE.ndcgTolerance) }, []).pass).toBe(true);
    const worse = gate(live, { ...live, version: "c", ndcgAt10: 0.37 }, []);
    expect(worse.pass).toBe(false);
    expect(worse.rows.filter((r) => !r.pass).map((r) => r.check)).toEqual(["nDCG@10"]);
  });

  it("refuses a low ANN recall, collapsed coverage, malformed blobs and degraded lists, each on its own row", () => {
    const failing = (candidate: Partial<VersionEvaluation>, problems: string[] = []) =>
      gate(live, { ...live, version: "c", ...candidate }, problems)
        .rows.filter((r) => !r.pass)
        .map((r) => r.check);
    expect(failing({ annRecallAt100: 0.8 })).toEqual(["ANN calibration recall@100"]);
    expect(failing({ annRecallAt100: null })).toEqual(["ANN calibration recall@100"]);
    expect(failing({ coverage: 0.009 })).toEqual(["catalog coverage@10"]);
    expect(failing({}, ["vectors-3: checksum differs from the manifest"])).toEqual(["malformed blobs"]);
    expect(failing({ degraded: { "covisit-2_missing": 3 } })).toEqual(["degraded lists"]);
  });

  it("does not compare nDCG with a live version that trained on the held-out events", () => {
    const report = gate({ ...live, sawHoldout: true, ndcgAt10: 0.6 }, { ...live, version: "c", ndcgAt10: 0.3 }, []);
    expect(report.pass).toBe(true);
    expect(report.rows[0]!.rule).toMatch(/not compared/);
    expect(gate({ ...live, sawHoldout: true, ndcgAt10: 0.6 }, { ...live, version: "c", ndcgAt10: 0.3, sawHoldout: true }, []).pass).toBe(false);
  });

  it("holds only the absolute checks on a first publication, and renders the table", () => {
    const report = gate(null, { ...live, version: "first", ndcgAt10: 0.01 }, []);
    expect(report.pass).toBe(true);
    const table = gateTable(report);
    expect(table).toContain("live (none) vs candidate first");
    expect(table).toContain("| ranking order (lists) | – | heavy (light 25, heavy 20) |");
    expect(table.split("\n").filter((l) => l.startsWith("| ")).length).toBe(report.rows.length + 2);
  });
});
