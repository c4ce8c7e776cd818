import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { countersResponse, metricsResponse } from "../../worker/src/http/schemas/admin-config";
import { receiptsResponse } from "../../worker/src/http/schemas/erasures";
import { reportResponse } from "../../worker/src/http/schemas/experiments";
import { healthResponse } from "../../worker/src/http/schemas/health";
import { type Answer, serverClient, sharedCredentials } from "./client";

const server = serverClient(sharedCredentials());

/** The admin answers that need a real Redis (the integration suite has none) match the schemas the API reference documents. */
describe("admin answers read from Redis, through the typed client", () => {
  const expectShape = async (schema: v.GenericSchema, res: Answer) => {
    expect(res.status, await res.clone().text()).toBe(200);
    expect(v.safeParse(schema, await res.json()).issues ?? []).toEqual([]);
  };

  it("metrics, a variant's counters, an experiment's report, erasure receipts with the builder's progress, health", async () => {
    await expectShape(metricsResponse, await server.admin.metrics.$get({ query: { minutes: "5" } }));
    await expectShape(countersResponse, await server.admin.experiments[":variant"].counters.$get({ param: { variant: "default" }, query: {} }));
    // A draft: its report reads Redis like any other, and a draft serves no one, so the shared stack's other suites are unaffected.
    const id = `shapes-${Date.now()}`;
    const created = await server.admin.experiments.$post({ json: { id, control: "a", variants: { a: {}, b: {} }, allocation: { default: { a: 50, b: 50 } } } });
    expect(created.status).toBe(201);
    await expectShape(reportResponse, await server.admin.experiments[":id"].report.$get({ param: { id }, query: {} }));
    const markdown = await server.admin.experiments[":id"].report.$get({ param: { id }, query: { format: "markdown" } });
    expect(markdown.headers.get("content-type")).toMatch(/^text\/plain/);
    const user = `shapes-${Date.now()}`;
    expect((await server.v1.users[":id"].$delete({ param: { id: user } })).status).toBe(200);
    await expectShape(receiptsResponse, await server.admin.erasures.$get({ query: { user } }));
    await expectShape(healthResponse, await server.health.$get());
  });
});
