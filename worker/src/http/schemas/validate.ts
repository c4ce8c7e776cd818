import { type Context, type MiddlewareHandler } from "hono";
import * as v from "valibot";
import { type AppError } from "../../../../shared/errors";
import { type AppEnv } from "../app-env";
import { readJson } from "../read-json";

type Schema = v.GenericSchema;
type Issues = [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]];
/**
 * Turns a schema's issues into the error clients are told (one code and
 * message per route, as before the schemas); `input` is what was checked.
 */
export type IssuesToError = (issues: Issues, c: Context<AppEnv>, input: unknown) => AppError;

/** A validator middleware: what hono/client sees as the route's input (`In`) and the handler reads with `c.req.valid` (`Out`). */
type Validated<Target extends "query" | "param" | "json" | "header", S extends Schema> = MiddlewareHandler<
  AppEnv,
  string,
  { in: { [K in Target]: v.InferInput<S> }; out: { [K in Target]: v.InferOutput<S> } }
>;

function parse<S extends Schema>(schema: S, value: unknown, toError: IssuesToError, c: Context<AppEnv>): v.InferOutput<S> {
  const result = v.safeParse(schema, value, { abortEarly: false });
  if (!result.success) throw toError(result.issues as Issues, c, value);
  return result.output;
}

/**
 * The query string through `schema`: each parameter's first value, as
 * `URLSearchParams.get` reads it (a repeated parameter is not an array).
 */
export function validQuery<S extends Schema>(schema: S, toError: IssuesToError): Validated<"query", S> {
  return async function validQuery(c, next) {
    const query: Record<string, string> = {};
    for (const [key, value] of new URL(c.req.url).searchParams) if (!Object.hasOwn(query, key)) query[key] = value;
    c.req.addValidatedData("query", parse(schema, query, toError, c) as object);
    await next();
  };
}

/** The path parameters through `schema`. */
export function validParams<S extends Schema>(schema: S, toError: IssuesToError): Validated<"param", S> {
  return async function validParams(c, next) {
    c.req.addValidatedData("param", parse(schema, c.req.param(), toError, c) as object);
    await next();
  };
}

/** The request headers (names in lower case) through `schema`. */
export function validHeader<S extends Schema>(schema: S, toError: IssuesToError): Validated<"header", S> {
  return async function validHeader(c, next) {
    c.req.addValidatedData("header", parse(schema, c.req.header(), toError, c) as object);
    await next();
  };
}

/**
 * A JSON body of at most `maxBytes` through `schema`: 415 without a JSON
 * content type, 413 past the size, 400 `invalid_json`, then `toError`.
 */
export function validJson<S extends Schema>(schema: S, maxBytes: number, toError: IssuesToError): Validated<"json", S> {
  return async function validJson(c, next) {
    c.req.addValidatedData("json", parse(schema, await readJson(c, maxBytes), toError, c) as object);
    await next();
  };
}

/**
 * A body whose rules live in a shared parser that throws the AppError its
 * clients have always been told (code, message, field): `shape` types the
 * body for clients and the reference and refuses what is not of that shape;
 * `parse` then checks what a shape cannot say (ranges across fields,
 * sums) and gives the output. A body the shape refuses is answered with
 * the parser's own error for it (`parserError`), so both paths read alike.
 */
export function parsedBy<S extends Schema, T>(shape: S, parse: (input: unknown) => T) {
  return v.pipe(
    shape,
    v.transform((input) => parse(input)),
  );
}

/** The error of a `parsedBy` body the shape refused: the parser's, run on the same input. */
export function parserError(parse: (input: unknown) => unknown, fallback: (issues: Issues) => AppError): IssuesToError {
  return (issues, _c, input) => {
    parse(input);
    return fallback(issues);
  };
}
