import { Hono, type MiddlewareHandler } from "hono";
import { AppError } from "../../../shared/errors";
import { type Experiment } from "../../../shared/experiments/experiment";
import { assertNoOverlap, type ExperimentDefinition, indexVersionsOf, parseExperimentDefinition } from "../../../shared/experiments/experiment-input";
import { readManifest } from "../../../shared/index-format/index-reader";
import { adminAuth } from "../http/admin-auth";
import { type AppEnv } from "../http/app-env";
import {
  experimentBody,
  experimentError,
  experimentParam,
  experimentParamError,
  experimentUpdateBody,
  experimentUpdateError,
  holdoutBody,
  holdoutError,
  reportQuery,
} from "../http/schemas/experiments";
import { validJson, validParams, validQuery } from "../http/schemas/validate";
import {
  auditOf,
  deleteDraft,
  forgetExperiments,
  getExperiment,
  listExperiments,
  newDraft,
  readHoldout,
  saveExperiment,
  writeHoldout,
} from "./experiment-store";
import { experimentReport } from "./experiment-report";

const MAX_BODY_BYTES = 256 * 1024;

/**
 * Experiments admin API: create and update drafts, start, stop, list, get,
 * report; the global holdout. A change applies at once in the isolate that
 * made it and within ~10 s everywhere (experiment-store.ts). Bad definitions
 * get a 400 with a code and store nothing.
 */
export const experimentsAdmin = new Hono<AppEnv>()
  .use(adminAuth())
  .get("/holdout", async (c) => c.json({ holdout: await readHoldout(c.env.DB) }))
  /** `{"percent": 2, "salt"?: "holdout", "offset"?: 0}`: refused while experiments run, as it would move their users. */
  .put("/holdout", validJson(holdoutBody, MAX_BODY_BYTES, holdoutError), async (c) => {
    const holdout = c.req.valid("json");
    const running = await listExperiments(c.env.DB, ["running"]);
    if (running.length > 0) {
      throw new AppError(
        "experiment_conflict",
        `stop the running experiments first (${running.map((e) => e.id).join(", ")}): a new holdout would move their users; nothing was stored`,
      );
    }
    await writeHoldout(c.env.DB, holdout, c.get("requestId"), Date.now());
    forgetExperiments();
    return c.json({ holdout });
  })
  .get("/", async (c) => c.json({ experiments: await listExperiments(c.env.DB), holdout: await readHoldout(c.env.DB) }))
  .post("/", validJson(experimentBody, MAX_BODY_BYTES, experimentError), async (c) => {
    const definition = await publishedAndFree(c.env, c.req.valid("json"));
    const experiment = newDraft(definition, Date.now());
    await saveExperiment(c.env.DB, experiment, "create", c.get("requestId"));
    return c.json({ experiment }, 201);
  })
  .get("/:id", validParams(experimentParam, experimentParamError), async (c) => {
    const experiment = await getExperiment(c.env.DB, c.req.valid("param").id);
    return c.json({ experiment, audit: await auditOf(c.env.DB, experiment.id) });
  })
  /** Replaces a draft's definition; a running or stopped experiment cannot change (its users' assignments would), nor can its id. */
  .put("/:id", validParams(experimentParam, experimentParamError), draftOnly(), validUpdate(), async (c) => {
    const current = await getExperiment(c.env.DB, c.req.valid("param").id);
    const definition = await publishedAndFree(c.env, c.req.valid("json"));
    const experiment: Experiment = { ...current, ...definition, updatedAtMs: Date.now() };
    await saveExperiment(c.env.DB, experiment, "update", c.get("requestId"), "draft");
    return c.json({ experiment });
  })
  /** Deletes a draft, which never ran (a canary whose start failed, a mistake): it stops pinning its index versions. */
  .delete("/:id", validParams(experimentParam, experimentParamError), async (c) => {
    const experiment = await deleteDraft(c.env.DB, c.req.valid("param").id, c.get("requestId"), Date.now());
    forgetExperiments();
    return c.json({ deleted: experiment.id });
  })
  .post("/:id/start", validParams(experimentParam, experimentParamError), async (c) => {
    const experiment = await transition(c.env, c.req.valid("param").id, "draft", "running", c.get("requestId"));
    return c.json({ experiment });
  })
  .post("/:id/stop", validParams(experimentParam, experimentParamError), async (c) => {
    const experiment = await transition(c.env, c.req.valid("param").id, "running", "stopped", c.get("requestId"));
    return c.json({ experiment });
  })
  /** Per variant, region and pooled: users, impressions, events, CTR with CIs, lift, CUPED, SRM, guardrails. `?format=markdown` for text. */
  .get("/:id/report", validParams(experimentParam, experimentParamError), validQuery(reportQuery, experimentParamError), async (c) => {
    const experiment = await getExperiment(c.env.DB, c.req.valid("param").id);
    const report = await experimentReport(c.env, experiment);
    return c.req.valid("query").format === "markdown" ? c.text(report.markdown) : c.json(report.json);
  });

/** draft -> running (checked again: a version may have been collected, or another experiment started, since the draft was written), running -> stopped. */
async function transition(env: Env, id: string, from: "draft" | "running", to: "running" | "stopped", requestId: string): Promise<Experiment> {
  const current = await getExperiment(env.DB, id);
  if (current.status !== from) throw new AppError("experiment_conflict", `experiment "${id}" is ${current.status}: only a ${from} experiment can become ${to}`);
  if (to === "running") await publishedAndFree(env, parseExperimentDefinition(pickDefinition(current)));
  const nowMs = Date.now();
  const experiment: Experiment = { ...current, status: to, updatedAtMs: nowMs, ...(to === "running" ? { startedAtMs: nowMs } : { stoppedAtMs: nowMs }) };
  await saveExperiment(env.DB, experiment, to === "running" ? "start" : "stop", requestId, from);
  forgetExperiments();
  return experiment;
}

/** Only a draft's definition may change (a running or stopped experiment's users' assignments would): checked before its body is read. */
function draftOnly(): MiddlewareHandler<AppEnv> {
  return async function draftOnly(c, next) {
    const current = await getExperiment(c.env.DB, c.req.param("id") ?? "");
    if (current.status !== "draft")
      throw new AppError("experiment_conflict", `experiment "${current.id}" is ${current.status}: only drafts can change; nothing was stored`);
    await next();
  };
}

/** A draft's new definition with the path's id (a body naming another is refused): the schema is made per request, as its parser needs the path. */
function validUpdate(): ReturnType<typeof validJson<ReturnType<typeof experimentUpdateBody>>> {
  return async function validUpdate(c, next) {
    return validJson(experimentUpdateBody(c.req.param("id") ?? ""), MAX_BODY_BYTES, experimentUpdateError)(c, next);
  };
}

/** The definition (its shape checked by the route's schema), checked against what only the Worker can read: published index versions and the layer's other experiments. */
async function publishedAndFree(env: Env, definition: ExperimentDefinition): Promise<ExperimentDefinition> {
  for (const version of indexVersionsOf(definition)) {
    if (!(await readManifest(env.INDEX_KV, version))) {
      throw new AppError("unknown_index_version", `index version "${version}" is not published (no manifest); nothing was stored`, { field: "variants" });
    }
  }
  assertNoOverlap(definition, await listExperiments(env.DB, ["running"]));
  return definition;
}

/** A stored experiment back in the definition's input form, to validate it again. */
function pickDefinition(e: Experiment): Record<string, unknown> {
  return {
    id: e.id,
    name: e.name,
    layer: e.layer,
    salt: e.salt,
    traffic: (e.trafficEnd - e.trafficStart) / 100,
    trafficOffset: e.trafficStart / 100,
    control: e.control,
    variants: Object.fromEntries(e.variants.map((v) => [v.id, v.overrides])),
    allocation: e.allocation,
    surfaces: e.surfaces,
  };
}
