import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../index-builder/src/local/wrangler";
import { keylessClient } from "./client";

const anyone = keylessClient();

describe("the API reference under wrangler dev (API_REFERENCE=1 in the local stack)", () => {
  it("serves the committed OpenAPI document and the reference page rendered from it, with nothing to fetch", async () => {
    const spec = JSON.parse(await readFile(join(PROJECT_ROOT, "docs", "openapi.json"), "utf8")) as { paths: Record<string, unknown> };
    expect(await (await anyone["openapi.json"].$get()).json()).toEqual(spec);
    const page = await anyone.docs.$get();
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await page.text();
    for (const path of Object.keys(spec.paths)) expect(html).toContain(path.replace(/&/g, "&#38;"));
    for (const scheme of ["publishableKey", "userToken", "secretKey"]) expect(html).toContain(`<code>${scheme}</code>`);
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!127\.0\.0\.1)/);
  });
});
