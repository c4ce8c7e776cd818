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
 * clients have always been told (code, message, field). The parser runs
 * first, on the body as sent, and its result is the output; `shape` then
 * types the body for clients and the reference, and refuses what the
 * parser let through but is not of that shape (the route's IssuesToError
 * words it). The parser never reads the shape's output: a valibot record
 * leaves out keys named `__proto__`, `constructor` and `prototype` without
 * an issue, so a parser reading it never saw them (a policy
 * `{"constructor": {...}}` passed as `{}`). OpenAPI documents `shape` (a
 * `v.custom` before a schema is a guard).
 */
export function parsedBy<S extends Schema, T>(shape: S, parse: (input: unknown) => T) {
  // A pipe runs synchronously from the guard to the transform: what the guard keeps is this run's result.
  let parsed: { output: T } | undefined;
  return v.pipe(
    v.custom<v.InferInput<S>>((input) => {
      parsed = { output: parse(input) };
      return true;
    }),
    shape,
    v.transform((): T => {
      const { output } = parsed!;
      parsed = undefined;
      return output;
    }),
  );
}
