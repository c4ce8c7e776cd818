import { type ConversionConfig, type JsonSchema, toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { errorEnvelope } from "../../../worker/src/http/schemas/common";
import { type Credentials, type Operation, OPERATIONS } from "../../../worker/src/openapi/operations";

type Json = Record<string, unknown>;
type Schema = v.GenericSchema;
type PipeItem = { kind: string; type: string; metadata?: { jsonSchema?: Json } };

/**
 * Schemas convert as their input (what a client sends). A field checked by
 * code carries `documentedAs` metadata (shared/schema/documented.ts) right
 * after its `v.custom` or `v.unknown`: that JSON Schema stands for it. A
 * body guarded by `v.custom` before its object schema (a plain object, not
 * an array) is written as that object schema.
 */
const CONVERSION: ConversionConfig = {
  target: "draft-2020-12",
  typeMode: "input",
  errorMode: "throw",
  // Checks written as code (across fields, against the clock) have no JSON Schema form: descriptions say them.
  // A normalization before a pattern is documented by the field's `documentedAs`.
  ignoreActions: ["check", "partial_check", "raw_check", "to_lower_case"],
  overrideSchema: ({ valibotSchema }) => (valibotSchema.type === "custom" ? {} : undefined),
  overrideAction: ({ valibotAction }) => {
    const item = valibotAction as unknown as PipeItem;
    return item.kind === "metadata" && item.metadata?.jsonSchema ? (item.metadata.jsonSchema as JsonSchema) : undefined;
  },
};

/** A pipe's items with nested pipes spread in place (a pipe's first item is its root schema, without the pipe). */
function flatPipe(schema: Schema): PipeItem[] | undefined {
  const pipe = (schema as { pipe?: (PipeItem & { pipe?: PipeItem[] })[] }).pipe;
  return pipe?.flatMap((item) => (item.pipe ? flatPipe(item as unknown as Schema)! : [item]));
}

function convert(schema: Schema): Json {
  const pipe = flatPipe(schema);
  if (pipe?.[0]?.type === "custom" && pipe[1]?.kind === "schema") {
    const [guarded, ...rest] = pipe.slice(1) as unknown as [Schema, ...PipeItem[]];
    return convert(rest.length > 0 ? ({ ...guarded, pipe: [guarded, ...rest] } as unknown as Schema) : guarded);
  }
  const { $schema: _dialect, ...json } = toJsonSchema(schema, CONVERSION) as Json;
  return json;
}

const SECURITY: Record<Credentials, Json[]> = {
  public: [],
  publishable: [{ publishableKey: [] }, { secretKey: [] }],
  user: [{ publishableKey: [], userToken: [] }, { secretKey: [] }],
  secret: [{ secretKey: [] }],
};

const ERRORS: Record<number, { name: string; description: string }> = {
  400: { name: "BadRequest", description: "Bad input: `invalid_request`, `invalid_json`, `invalid_event_batch`, ... Nothing was written." },
  401: { name: "Unauthorized", description: "`unauthorized`, `invalid_api_key`, `token_required` or `invalid_token` (with `reason`)." },
  403: { name: "Forbidden", description: "`origin_not_allowed`, or `forbidden`: another user's token, or a publishable key on a secret-key route." },
  404: { name: "NotFound", description: "`not_found` or `item_not_found`." },
  409: { name: "Conflict", description: "`version_conflict`, `index_incomplete` or `experiment_conflict`." },
  413: { name: "PayloadTooLarge", description: "`payload_too_large`: the body is over the route's limit; nothing was read or stored." },
  415: { name: "UnsupportedMediaType", description: "`unsupported_media_type`: send JSON with Content-Type: application/json." },
  429: { name: "RateLimited", description: "`rate_limited`, with Retry-After." },
  503: { name: "Unavailable", description: "`index_not_published` or `dependency_unavailable`: retry." },
};

/** The path parameters or query parameters of an object schema (or a pipe that starts with one). */
function parameters(schema: Schema | undefined, where: "path" | "query" | "header"): Json[] {
  if (!schema) return [];
  const object = ((schema as { pipe?: Schema[] }).pipe?.[0] ?? schema) as unknown as { entries: Record<string, Schema & { type: string }> };
  return Object.entries(object.entries).map(([name, entry]) => {
    const optional = entry.type === "optional" || entry.type === "nullish";
    const { description, default: fallback, ...json } = convert(entry);
    return {
      name,
      in: where,
      required: where === "path" || !optional,
      ...(description ? { description } : {}),
      schema: { ...json, ...(fallback !== undefined ? { default: json.type === "integer" ? Number(fallback) : fallback } : {}) },
    };
  });
}

function operationObject(op: Operation): Json {
  const statuses = new Set(op.errors ?? []);
  if (op.credentials !== "public") [401, 403].forEach((s) => statuses.add(s));
  if (op.credentials === "publishable" || op.credentials === "user") statuses.add(429);
  if (op.body) statuses.add(413);
  const success: Json = { description: op.success.description };
  if (op.success.schema) success.content = { "application/json": { schema: convert(op.success.schema) } };
  if (op.success.alternative) success.content = { ...(success.content as Json), [op.success.alternative]: { schema: { type: "string" } } };
  else if (op.success.contentType) success.content = { [op.success.contentType]: { schema: {} } };
  const responses: Json = { [String(op.success.status)]: success };
  for (const also of op.alsoSuccess ?? [])
    responses[String(also.status)] = {
      description: also.description,
      ...(also.schema ? { content: { "application/json": { schema: convert(also.schema) } } } : {}),
    };
  for (const status of [...statuses].sort()) responses[String(status)] = { $ref: `#/components/responses/${ERRORS[status]!.name}` };
  const body =
    op.body === undefined
      ? undefined
      : "contentType" in op.body
        ? { required: true, description: op.body.description, content: { [op.body.contentType]: { schema: {} } } }
        : { required: true, content: { "application/json": { schema: convert(op.body) } } };
  const params = [...parameters(op.params, "path"), ...parameters(op.query, "query"), ...parameters(op.headers, "header")];
  return {
    operationId: operationId(op),
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    security: SECURITY[op.credentials],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

/** `get /v1/users/{id}/merge` -> `postV1UsersIdMerge`. */
function operationId(op: Operation): string {
  const words = op.path.split(/[/{}-]+/).filter(Boolean);
  return op.method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
}

/** The OpenAPI 3.1 document of the API, from the schemas the routes validate with (worker/src/openapi/operations.ts). */
export function buildOpenApi(version: string): Json {
  const paths: Record<string, Json> = {};
  for (const op of OPERATIONS) paths[op.path] = { ...paths[op.path], [op.method]: operationObject(op) };
  const errorSchema = convert(errorEnvelope);
  return {
    openapi: "3.1.0",
    info: {
      title: "Edge recommender API",
      version,
      description:
        'Recommendations, events and administration of the edge recommender. Every error is `{"error": {"code", "message", "requestId"}}` with a 4xx for bad input or credentials (nothing is written) and 5xx only for failures on the service\'s side.',
    },
    servers: [{ url: "http://127.0.0.1:8787", description: "npm start (local)" }],
    tags: ["Recommendations", "Events", "Users", "Catalog", "Health", "Index", "Configuration", "Audits", "Experiments"].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        publishableKey: {
          type: "apiKey",
          in: "header",
          name: "X-Api-Key",
          description:
            "`pk_…`: public, for browsers, bound to the site's origins (CORS and the Origin header). Alone it reads trending, items and similar items.",
        },
        userToken: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description:
            "A user's token with the publishable key: HS256, signed by your backend (`sub` = user id, `aud`, `exp` at most 24 h ahead, `kid`), or from POST /v1/anonymous.",
        },
        secretKey: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "sk_…",
          description: "`sk_…`: servers only. Acts for any user; the only credential for /admin and /health.",
        },
      },
      schemas: { ErrorEnvelope: errorSchema },
      responses: Object.fromEntries(
        Object.values(ERRORS).map(({ name, description }) => [
          name,
          { description, content: { "application/json": { schema: { $ref: "#/components/schemas/ErrorEnvelope" } } } },
        ]),
      ),
    },
  };
}
