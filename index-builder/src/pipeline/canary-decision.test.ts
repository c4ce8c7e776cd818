import { describe, expect, it } from "vitest";
import { armStats, canaryTable, classifyDegraded, decideCanary, judgeProbe, type ProbeAnswer, type ProbeOutcome } from "./canary-decision";

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ itemId: `i${i}`, score: 1 - i / 100 }));
const answer = (version: string, degraded: string[] = [], list = items(10)): ProbeAnswer => ({
  status: 200,
  body: { indexVersion: version, degraded, items: list },
});
const ok: ProbeOutcome = { kind: "ok" };
const env = (code: string): ProbeOutcome => ({ kind: "environment", codes: [code] });
/** 15 probes per arm, as the default 5 users × 3 surfaces give. */
const arm = (version: string, special: ProbeOutcome[]) => armStats(version, [...special, ...Array.from({ length: 15 - special.length }, () => ok)]);

describe("classifyDegraded", () => {
  it("puts the Worker's Redis, D1, session and experiment-table codes in the environment, and everything else on the version", () => {
    for (const code of [
      "trending_timeout",
      "trending_error",
      "session_timeout",
      "catalog_overlay_stale",
      "catalog_overlay_timeout",
      "availability_error",
      "experiments_timeout",
    ])
      expect(classifyDegraded(code), code).toBe("environment");
    for (const code of [
      "popular_blob_missing",
      "ann-head_checksum_mismatch",
      "ann_head_invalid",
      "funnel_not_built",
      "funnel_data_timeout",
      "item_pages_timeout",
      "ranker_spec_mismatch",
      "heavy_ranker_error",
      "experiment_index_missing",
      "index_popular_only",
      "a_code_added_later",
    ])
      expect(classifyDegraded(code), code).toBe("version");
    expect(classifyDegraded("heavy_ranker_warming")).toBe("ignored");
  });
});

describe("judgeProbe", () => {
  it("judges a whole answer ok, an environment-degraded one by its codes, and faults of status, version, blobs and lists", () => {
    expect(judgeProbe(answer("v2"), "v2", 10)).toEqual({ kind: "ok" });
    expect(judgeProbe(answer("v2", ["heavy_ranker_warming"]), "v2", 10)).toEqual({ kind: "ok" });
    expect(judgeProbe(answer("v2", ["trending_timeout"]), "v2", 10)).toEqual({ kind: "environment", codes: ["trending_timeout"] });
    expect(judgeProbe(answer("v2", ["popular_blob_missing", "trending_timeout"]), "v2", 10)).toEqual({
      kind: "fault",
      detail: "degraded: popular_blob_missing",
    });
    expect(judgeProbe({ status: 503, body: null, text: "down" }, "v2", 10)).toMatchObject({ kind: "fault", detail: "status 503: down" });
    expect(judgeProbe(answer("v1"), "v2", 10)).toMatchObject({ kind: "fault", detail: "served by v1, not v2" });
    // An environment degradation does not excuse an insane list: the popular list must stand behind.
    expect(judgeProbe(answer("v2", ["trending_timeout"], items(4)), "v2", 10)).toMatchObject({ kind: "fault", detail: "4 items, asked for 10" });
    expect(judgeProbe(answer("v2", [], [...items(9), { itemId: "i0", score: 0 }]), "v2", 10)).toMatchObject({ detail: "repeats an item" });
    expect(judgeProbe(answer("v2", [], [...items(9), { itemId: "x", score: NaN }]), "v2", 10)).toMatchObject({ detail: "a score is not finite" });
  });
});

describe("decideCanary", () => {
  it("promotes when environment noise hits both arms (the trending_timeout that once rolled back a good candidate)", () => {
    const candidate = arm("v2", [env("trending_timeout")]);
    const control = arm("v1", [env("trending_timeout"), env("session_timeout")]);
    const decision = decideCanary(candidate, control);
    expect(decision.pass, decision.reasons.join()).toBe(true);
    expect(decision.candidate).toMatchObject({ probes: 15, faults: 0, environmentDegraded: 1 });
    expect(decision.control).toMatchObject({ probes: 15, environmentDegraded: 2, environmentCodes: { trending_timeout: 1, session_timeout: 1 } });
    // Noise on the candidate alone, within the tolerance, passes too.
    expect(decideCanary(arm("v2", [env("trending_timeout"), env("trending_timeout")]), arm("v1", [])).pass).toBe(true);
  });

  it("rolls back on a blob fault of the candidate, however noisy the control", () => {
    const fault = judgeProbe(answer("v2", ["popular_blob_missing"]), "v2", 10);
    const decision = decideCanary(
      arm("v2", [fault]),
      arm(
        "v1",
        Array.from({ length: 10 }, () => env("trending_timeout")),
      ),
    );
    expect(decision.pass).toBe(false);
    expect(decision.reasons).toEqual(["1 of 15 candidate probes failed"]);
  });

  it("rolls back when the candidate's environment-degraded rate is far above the control's", () => {
    const decision = decideCanary(
      arm(
        "v2",
        Array.from({ length: 8 }, () => env("catalog_overlay_timeout")),
      ),
      arm("v1", [env("trending_timeout")]),
    );
    expect(decision.pass).toBe(false);
    expect(decision.reasons).toEqual(["environment-degraded rate 53.3% vs control 6.7%: more than 20.0% above"]);
    // The tolerance is configurable: a looser one lets the same arms through.
    expect(decideCanary(decision.candidate, decision.control, 0.5).pass).toBe(true);
  });

  it("rolls back without candidate probes, and notes (without blocking on) faults of the control", () => {
    expect(decideCanary(armStats("v2", []), arm("v1", [])).reasons).toEqual(["no probe reached the candidate"]);
    const decision = decideCanary(arm("v2", []), arm("v1", [{ kind: "fault", detail: "status 500: " }]));
    expect(decision.pass).toBe(true);
    expect(decision.notes).toEqual(["1 of 15 control probes (live v1) failed"]);
  });

  it("renders both arms' probe counts and rates for the job summary", () => {
    const table = canaryTable(decideCanary(arm("v2", [env("trending_timeout")]), arm("v1", [])), true);
    expect(table).toContain("Canary: **pass** — control v1 vs candidate v2");
    expect(table).toContain("| control | v1 | 15 | 0 | 0 (0.0%) | – |");
    expect(table).toContain("| candidate | v2 | 15 | 0 | 1 (6.7%) | trending_timeout 1 |");
  });
});
