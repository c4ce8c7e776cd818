import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { OPENAPI_PATH, openApiProblems, openApiText } from "./openapi-cli";

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1, and the validator does refuse a broken one", async () => {
    const document = JSON.parse(await openApiText()) as Record<string, unknown>;
    expect(await openApiProblems(document)).toEqual([]);
    const { info: _info, ...withoutInfo } = document;
    expect(await openApiProblems(withoutInfo)).not.toEqual([]);
    const badRef = structuredClone(document) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    badRef.paths["/v1/trending"]!.get!.responses["400"] = { description: 7 };
    expect(await openApiProblems(badRef)).not.toEqual([]);
  });

  it("is the committed docs/openapi.json", async () => {
    expect(await readFile(OPENAPI_PATH, "utf8")).toBe(await openApiText());
  });

  it("names the security schemes of each kind of route", async () => {
    const document = JSON.parse(await openApiText()) as { paths: Record<string, Record<string, { security: Record<string, string[]>[] }>> };
    expect(document.paths["/v1/recommendations"]!.get!.security).toEqual([{ publishableKey: [], userToken: [] }, { secretKey: [] }]);
    expect(document.paths["/v1/trending"]!.get!.security).toEqual([{ publishableKey: [] }, { secretKey: [] }]);
    expect(document.paths["/admin/index/current"]!.put!.security).toEqual([{ secretKey: [] }]);
    expect(document.paths["/health/live"]!.get!.security).toEqual([]);
  });
});
