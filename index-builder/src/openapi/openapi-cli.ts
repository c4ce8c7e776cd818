/**
 * `npm run openapi` writes docs/openapi.json from the routes' schemas;
 * `npm run openapi:check` (part of `npm test`) fails when the committed file
 * differs from what the schemas give, or when the document is not valid
 * OpenAPI 3.1 (@seriousme/openapi-schema-validator, offline).
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { PROJECT_ROOT } from "../local/wrangler";
import { buildOpenApi } from "./build-openapi";

export const OPENAPI_PATH = join(PROJECT_ROOT, "docs", "openapi.json");

/** The document as committed: two-space JSON and a final newline. */
export async function openApiText(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(PROJECT_ROOT, "package.json"), "utf8")) as { version: string };
  return `${JSON.stringify(buildOpenApi(pkg.version), null, 2)}\n`;
}

/** The validator's errors for a document, empty when it is valid OpenAPI. */
export async function openApiProblems(document: unknown): Promise<string[]> {
  const result = await new Validator().validate(document as Parameters<Validator["validate"]>[0]);
  return result.valid ? [] : [JSON.stringify(result.errors, null, 2)];
}

async function main() {
  const text = await openApiText();
  const problems = await openApiProblems(JSON.parse(text));
  if (problems.length > 0) throw new Error(`the generated document is not valid OpenAPI 3.1:\n${problems.join("\n")}`);
  if (process.argv.includes("--check")) {
    const committed = await readFile(OPENAPI_PATH, "utf8").catch(() => "");
    if (committed !== text) {
      console.error("docs/openapi.json is not what the route schemas give: run `npm run openapi` and commit it");
      process.exit(1);
    }
    console.log("docs/openapi.json matches the route schemas and is valid OpenAPI 3.1");
    return;
  }
  await writeFile(OPENAPI_PATH, text);
  console.log(`wrote ${OPENAPI_PATH}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) await main();
