/**
 * The API reference as one HTML page rendered from the OpenAPI document:
 * no script, no stylesheet, nothing fetched (the app's CSP allows none),
 * so it works offline and by keyboard as plain HTML does.
 */
type Json = Record<string, unknown>;

const escape = (text: unknown) => String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
/** Backticks in descriptions become <code>. */
const prose = (text: unknown) => escape(text ?? "").replace(/`([^`]+)`/g, "<code>$1</code>");

function resolve(doc: Json, schema: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== "string") return schema;
  return ref
    .split("/")
    .slice(1)
    .reduce<Json>((node, key) => node[key] as Json, doc);
}

/** A schema as nested lists: each property with its type, constraints and description. */
function schemaHtml(doc: Json, raw: Json | undefined, depth = 0): string {
  if (!raw || depth > 6) return "";
  const schema = resolve(doc, raw);
  const facts: string[] = [];
  if (schema.type) facts.push(Array.isArray(schema.type) ? schema.type.join(" | ") : String(schema.type));
  if (schema.enum) facts.push(`one of ${(schema.enum as unknown[]).map((x) => `<code>${escape(JSON.stringify(x))}</code>`).join(", ")}`);
  for (const key of ["pattern", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "maxProperties", "format", "default"]) {
    if (schema[key] !== undefined) facts.push(`${key} <code>${escape(JSON.stringify(schema[key]))}</code>`);
  }
  let html = facts.length > 0 ? ` <small>${facts.join("; ")}</small>` : "";
  if (schema.description) html += ` — ${prose(schema.description)}`;
  const alternatives = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (alternatives) html += `<ul>${alternatives.map((a) => `<li>either${schemaHtml(doc, a, depth + 1)}</li>`).join("")}</ul>`;
  const properties = schema.properties as Record<string, Json> | undefined;
  if (properties) {
    const required = new Set((schema.required as string[] | undefined) ?? []);
    html += `<ul>${Object.entries(properties)
      .map(([name, p]) => `<li><code>${escape(name)}</code>${required.has(name) ? " <strong>required</strong>" : ""}${schemaHtml(doc, p, depth + 1)}</li>`)
      .join("")}</ul>`;
  }
  if (schema.items) html += `<ul><li>items:${schemaHtml(doc, schema.items as Json, depth + 1)}</li></ul>`;
  if (typeof schema.additionalProperties === "object") html += `<ul><li>values:${schemaHtml(doc, schema.additionalProperties as Json, depth + 1)}</li></ul>`;
  return html;
}

function operationHtml(doc: Json, method: string, path: string, op: Json): string {
  const id = escape(op.operationId);
  const security = (op.security as Json[]).map((way) => Object.keys(way).join(" + ")).join(" or ") || "none";
  const params = (op.parameters as Json[] | undefined) ?? [];
  const body = (op.requestBody as { content: Record<string, { schema: Json }> } | undefined)?.content;
  const responses = Object.entries(op.responses as Record<string, Json>).map(([status, r]) => {
    const response = resolve(doc, r);
    const content = (response.content as Record<string, { schema: Json }> | undefined)?.["application/json"];
    return `<li><strong>${escape(status)}</strong> ${prose(response.description)}${status.startsWith("2") && content ? schemaHtml(doc, content.schema) : ""}</li>`;
  });
  return `<section id="${id}" aria-labelledby="${id}-title">
<h3 id="${id}-title"><code>${method.toUpperCase()} ${escape(path)}</code> ${escape(op.summary)}</h3>
${op.description ? `<p>${prose(op.description)}</p>` : ""}
<p>Credentials: ${escape(security)}</p>
${params.length > 0 ? `<h4>Parameters</h4><ul>${params.map((p) => `<li><code>${escape(p.name)}</code> in ${escape(p.in)}${p.required ? " <strong>required</strong>" : ""}${p.description ? ` — ${prose(p.description)}` : ""}${schemaHtml(doc, p.schema as Json)}</li>`).join("")}</ul>` : ""}
${
  body
    ? `<h4>Body</h4>${Object.entries(body)
        .map(([type, c]) => `<p><code>${escape(type)}</code></p>${schemaHtml(doc, c.schema)}`)
        .join("")}`
    : ""
}
<h4>Responses</h4><ul>${responses.join("")}</ul>
</section>`;
}

/** The whole page. */
export function referencePage(doc: Json): string {
  const info = doc.info as Json;
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const ops = Object.entries(paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  const tags = (doc.tags as { name: string }[]).map((t) => t.name);
  const schemes = (doc.components as { securitySchemes: Record<string, Json> }).securitySchemes;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(info.title)} ${escape(info.version)}</title></head>
<body><header><h1>${escape(info.title)} <small>${escape(info.version)}</small></h1><p>${prose(info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escape(doc.openapi)}).</p></header>
<nav aria-label="Operations"><ul>${tags
    .map(
      (tag) =>
        `<li>${escape(tag)}<ul>${ops
          .filter(({ op }) => (op.tags as string[])[0] === tag)
          .map(({ path, method, op }) => `<li><a href="#${escape(op.operationId)}">${method.toUpperCase()} ${escape(path)}</a></li>`)
          .join("")}</ul></li>`,
    )
    .join("")}</ul></nav>
<main><h2>Credentials</h2><dl>${Object.entries(schemes)
    .map(([name, s]) => `<dt><code>${escape(name)}</code></dt><dd>${prose(s.description)}</dd>`)
    .join("")}</dl>
${tags
  .map(
    (tag) =>
      `<h2>${escape(tag)}</h2>${ops
        .filter(({ op }) => (op.tags as string[])[0] === tag)
        .map(({ path, method, op }) => operationHtml(doc, method, path, op))
        .join("\n")}`,
  )
  .join("\n")}
</main></body></html>`;
}
