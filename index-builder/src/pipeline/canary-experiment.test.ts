import { describe, expect, it } from "vitest";
import { assign, experimentsFor } from "../../../shared/experiments/assignment";
import { type Experiment, NO_HOLDOUT } from "../../../shared/experiments/experiment";
import { indexVersionsOf, parseExperimentDefinition } from "../../../shared/experiments/experiment-input";
import { AdminClient } from "../publish/admin-client";
import { startFakeAdminApi } from "../publish/fake-admin-api";
import { canaryProbeUsers } from "./canary-check";
import { canaryDefinition, CANARY_LAYER, startCanary } from "./canary-experiment";

function running(definition: Record<string, unknown>): Experiment {
  const d = parseExperimentDefinition(definition);
  return { ...d, status: "running", createdAtMs: 0, updatedAtMs: 0, startedAtMs: 0, stoppedAtMs: null };
}

/** Share of 20k users the experiment serves the candidate, in `region`. */
function candidateShare(e: Experiment, region: string): number {
  const set = { running: [e], holdout: NO_HOLDOUT };
  let n = 0;
  for (let i = 0; i < 20_000; i++) {
    const user = `u${i}`;
    if (experimentsFor(set, user, "home").length > 0 && assign(e, user, region).overrides.indexVersion === "v2") n++;
  }
  return n / 20_000;
}

describe("the publication canary as an experiment", () => {
  it("serves the candidate to the configured share, beside a control group of the same size on the live version", () => {
    const e = running(canaryDefinition("canary-run1", "v2", { share: 0.1, regions: null }));
    expect(e.layer).toBe(CANARY_LAYER);
    expect(e.trafficEnd - e.trafficStart).toBe(2000);
    expect(e.allocation).toEqual({ default: { live: 50, candidate: 50 } });
    expect(candidateShare(e, "global")).toBeGreaterThan(0.09);
    expect(candidateShare(e, "global")).toBeLessThan(0.11);
    const big = running(canaryDefinition("canary-run2", "v2", { share: 0.7, regions: null }));
    expect([big.trafficEnd - big.trafficStart, big.allocation.default]).toEqual([10_000, { live: 30, candidate: 70 }]);
  });

  it("serves a region canary only in its regions", () => {
    const e = running(canaryDefinition("canary-run3", "v2", { share: 0.25, regions: ["pt"] }));
    expect(candidateShare(e, "us")).toBe(0);
    expect(candidateShare(e, "pt")).toBeGreaterThan(0.22);
    expect(candidateShare(e, "pt")).toBeLessThan(0.28);
  });

  it("probes with users the Worker's assignment routes to the candidate, from the canary's region", () => {
    const e = running(canaryDefinition("canary-run4", "v2", { share: 0.05, regions: ["pt", "br"] }));
    const users = canaryProbeUsers(e, NO_HOLDOUT, 5);
    expect(users).toHaveLength(5);
    for (const { userId, region } of users) {
      expect(region).toBe("pt");
      expect(assign(e, userId, "pt").variant).toBe("candidate");
      expect(experimentsFor({ running: [e], holdout: NO_HOLDOUT }, userId, "related")).toEqual([e]);
    }
    // Users in the global holdout are in no experiment: never chosen as probes.
    const holdout = { salt: "holdout", start: 0, end: 5000 };
    for (const { userId } of canaryProbeUsers(e, holdout, 5)) expect(experimentsFor({ running: [e], holdout }, userId, "home")).toEqual([e]);
  });

  it("probes the control arm with as many users of the canary's live variant, from the same region", () => {
    const e = running(canaryDefinition("canary-run5", "v2", { share: 0.05, regions: ["pt"] }));
    const control = canaryProbeUsers(e, NO_HOLDOUT, 5, "control");
    expect(control).toHaveLength(5);
    for (const { userId, region } of control) {
      expect(region).toBe("pt");
      expect(experimentsFor({ running: [e], holdout: NO_HOLDOUT }, userId, "home")).toEqual([e]);
      expect(assign(e, userId, "pt").variant).toBe("live");
    }
    // A canary taking the whole layer has no live variant: control users come from outside it (here the global holdout).
    const whole = running(canaryDefinition("canary-run6", "v2", { share: 1, regions: null }));
    const holdout = { salt: "holdout", start: 0, end: 1000 };
    const outside = canaryProbeUsers(whole, holdout, 3, "control");
    expect(outside).toHaveLength(3);
    for (const { userId } of outside) expect(experimentsFor({ running: [whole], holdout }, userId, "home")).toEqual([]);
  });
});

describe("startCanary", () => {
  it("leaves no draft pinning the candidate when the start fails, and a later attempt starts it after all", async () => {
    const api = await startFakeAdminApi({ versions: ["A", "B"], history: ["A"] });
    try {
      const client = new AdminClient({ url: api.url, adminKey: "sk_test", attempts: 1 });
      const lines: string[] = [];
      const config = { share: 0.1, regions: null };
      // Another run's canary started between this one's create and start: the Worker refuses the start.
      const overlap = 'traffic 0-20% of layer "canary" overlaps experiment "canary-other" (0-20%); nothing was stored';
      api.failNext.set("POST /admin/experiments/canary-run1/start", { status: 400, code: "overlapping_experiment", message: overlap });
      await expect(startCanary(client, "run1", "B", config, (l) => lines.push(l))).rejects.toThrow("answered 400");
      // The Worker cannot delete a draft nor stop one: it stays, but pins nothing, so gc may delete B.
      const draft = api.experiments.get("canary-run1")!;
      expect(draft.status).toBe("draft");
      expect(indexVersionsOf(draft)).toEqual([]);
      expect(lines).toContain("canary canary-run1 did not start: its draft now pins no version (the Worker cannot delete a draft), so gc may collect B");
      await client.deleteVersion("B");
      expect(api.versions.has("B")).toBe(false);

      // Published again (a rerun's upload), the run's next attempt gives the draft its definition back and starts it.
      api.versions.add("B");
      const started = await startCanary(client, "run1", "B", config, (l) => lines.push(l));
      expect(started).not.toBe("stopped");
      expect(api.experiments.get("canary-run1")).toMatchObject({ status: "running", name: "publication canary of index B" });
      expect(indexVersionsOf(api.experiments.get("canary-run1")!)).toEqual(["B"]);
    } finally {
      await api.close();
    }
  });
});
