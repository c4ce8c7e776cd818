import { env } from "cloudflare:workers";
import * as v from "valibot";
import { beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../shared/checksum";
import { ID_RULE, idRule } from "../../shared/ids";
import { blobKey, CURRENT_POINTER_KEY } from "../../shared/index-format/keys";
import * as admin from "../../worker/src/http/schemas/admin";
import * as config from "../../worker/src/http/schemas/admin-config";
import { errorEnvelope } from "../../worker/src/http/schemas/common";
import * as erasures from "../../worker/src/http/schemas/erasures";
import * as experiments from "../../worker/src/http/schemas/experiments";
import * as health from "../../worker/src/http/schemas/health";
import { EDITORIAL_KEY, POLICY_KEY } from "../../worker/src/config/config-store";
import { adminCall, call, demoBuild, demoCatalog, freshUser, jsonInit, publishDemo } from "./fixtures";

/**
 * The admin routes validate with schemas (worker/src/http/schemas/admin*.ts,
 * experiments.ts, erasures.ts): what operators and the builder are told for
 * bad input, word for word as the hand-written checks told them, with
 * nothing written; and every success answer matches the schema the API
 * reference documents for it.
 */
const COUNTERS_MESSAGE =
  "variant must be a label as lists are logged under (default, holdout, or experiment=variant joined by +, e.g. home-ranker-2=b) " +
  "and region a lower-case country code, global or all";
const SHA = "a".repeat(64);
const item = (itemId: string) => ({ itemId, title: "T", categories: ["Drama"], year: 1999, tags: [], available: true });

async function refusal(res: Response) {
  const body = await res.json();
  expect(v.is(errorEnvelope, body)).toBe(true);
  const { requestId: _id, ...rest } = (body as { error: Record<string, unknown> }).error;
  return { status: res.status, ...rest };
}

describe("admin refusals are unchanged by the schemas", () => {
  beforeAll(async () => {
    await publishDemo("v-admin-envelopes");
  });

  it.each([
    ["PUT", `/admin/index/blobs/${SHA.toUpperCase()}`, "a blob is named by its lower-case hex SHA-256"],
    ["GET", "/admin/index/blobs/abc", "a blob is named by its lower-case hex SHA-256"],
    ["DELETE", "/admin/index/blobs/abc", "a blob is named by its lower-case hex SHA-256"],
    ["GET", "/admin/index/blobs?cursor=", "cursor must come from the previous page"],
    ["GET", `/admin/index/blobs?cursor=${"c".repeat(1025)}`, "cursor must come from the previous page"],
    ["GET", "/admin/index/versions/a%20b/manifest", "index version must be 1-64 characters of A-Z a-z 0-9 . _ -"],
    ["DELETE", "/admin/index/versions/a%20b", "index version must be 1-64 characters of A-Z a-z 0-9 . _ -"],
    ["GET", "/admin/users/a%20b/events", `user id must be ${ID_RULE}`],
    ["GET", "/admin/metrics?minutes=0", "minutes must be an integer from 1 to 2880"],
    ["GET", "/admin/metrics?minutes=1.5", "minutes must be an integer from 1 to 2880"],
    ["GET", "/admin/experiments/a%20b/counters", COUNTERS_MESSAGE],
    ["GET", "/admin/experiments/a=b=c/counters", COUNTERS_MESSAGE],
    ["GET", "/admin/experiments/a=b+c/counters", COUNTERS_MESSAGE],
    ["GET", "/admin/experiments/v1/counters?region=US", COUNTERS_MESSAGE],
    // Each id of a label is held to the id rule on its own: before, only the last was (`..=b` passed).
    ["GET", "/admin/experiments/..=b/counters", COUNTERS_MESSAGE],
    ["GET", "/admin/experiments/a=b+..=c/counters", COUNTERS_MESSAGE],
    ["GET", "/admin/experiments/a=b+c=./counters", COUNTERS_MESSAGE],
    ["GET", "/admin/experiments/a%20b", `experiment id must be ${idRule(64)}`],
    ["GET", `/admin/experiments/${"x".repeat(65)}`, `experiment id must be ${idRule(64)}`],
    ["POST", "/admin/experiments/a%20b/start", `experiment id must be ${idRule(64)}`],
    ["POST", "/admin/experiments/a%20b/stop", `experiment id must be ${idRule(64)}`],
    ["GET", "/admin/experiments/a%20b/report", `experiment id must be ${idRule(64)}`],
  ])("%s %s: 400 invalid_request", async (method, path, message) => {
    expect(await refusal(await adminCall(path, { method }))).toEqual({ status: 400, code: "invalid_request", message });
  });

  it("PUT /admin/index/versions/:version/blobs/:name: the header, then the version, then the name", async () => {
    const put = (path: string, headers: Record<string, string>) => adminCall(path, { method: "PUT", headers, body: "x" });
    const header = "send the blob's hex SHA-256 in the X-Content-Sha256 header";
    expect(await refusal(await put("/admin/index/versions/a%20b/blobs/Bad", {}))).toEqual({ status: 400, code: "invalid_request", message: header });
    expect(await refusal(await put("/admin/index/versions/v1/blobs/popular", { "X-Content-Sha256": "abc" }))).toEqual({
      status: 400,
      code: "invalid_request",
      message: header,
    });
    expect(await refusal(await put("/admin/index/versions/a%20b/blobs/Bad", { "X-Content-Sha256": SHA }))).toEqual({
      status: 400,
      code: "invalid_request",
      message: "index version must be 1-64 characters of A-Z a-z 0-9 . _ -",
    });
    expect(await refusal(await put("/admin/index/versions/v1/blobs/Bad", { "X-Content-Sha256": SHA }))).toEqual({
      status: 400,
      code: "invalid_request",
      message: 'blob name "Bad" is not allowed',
    });
  });

  it("POST /admin/index/blobs: every part checked in body order before anything is stored, the first problem named", async () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    const good = await Promise.all(["one", "two"].map(async (text) => ({ sha256: await sha256Hex(bytes(text)), bytes: bytes(text) })));
    const form = (parts: [string, string | Blob][]) => {
      const f = new FormData();
      for (const [name, value] of parts) f.append(name, value);
      return adminCall("/admin/index/blobs", { method: "POST", body: f });
    };
    const file = (b: Uint8Array) => new Blob([b], { type: "application/octet-stream" });
    const stored = async () => Promise.all(good.map(async (g) => (await env.INDEX_KV.get(blobKey(g.sha256))) !== null));
    const cases: [[string, string | Blob][], string][] = [
      [
        [
          [good[0]!.sha256, file(good[0]!.bytes)],
          ["Not-A-Sha", file(good[1]!.bytes)],
        ],
        'part "Not-A-Sha" must be named by its lower-case hex SHA-256; nothing was stored',
      ],
      [
        [
          [good[0]!.sha256, file(good[0]!.bytes)],
          [good[1]!.sha256, "a string, not a file"],
        ],
        `part ${good[1]!.sha256} must be a file; nothing was stored`,
      ],
      // The first bad part wins, whichever its problem.
      [
        [
          [good[1]!.sha256, "text"],
          ["x".repeat(100), file(good[0]!.bytes)],
        ],
        `part ${good[1]!.sha256} must be a file; nothing was stored`,
      ],
      [Array.from({ length: 101 }, () => [good[0]!.sha256, file(good[0]!.bytes)] as [string, Blob]), "send 1 to 100 blobs per batch"],
    ];
    for (const [parts, message] of cases) {
      expect(await refusal(await form(parts))).toEqual({ status: 400, code: "invalid_request", message });
      expect(await stored()).toEqual([false, false]);
    }
    expect(await refusal(await adminCall("/admin/index/blobs", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "x" }))).toEqual({
      status: 400,
      code: "invalid_request",
      message: "send the blobs as multipart/form-data, one file per blob named by its SHA-256",
    });
    const ok = await form(good.map((g) => [g.sha256, file(g.bytes)]));
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ stored: 2, bytes: 6 });
    expect(await stored()).toEqual([true, true]);
  });

  it("POST /admin/index/blobs/missing and PUT /admin/index/current: the body's shape", async () => {
    const missing = `send {"sha256": [...]} with at most 50000 lower-case hex SHA-256 checksums`;
    for (const body of [{}, [], null, { sha256: "x" }, { sha256: [SHA.toUpperCase()] }, { sha256: Array.from({ length: 50_001 }, () => SHA) }]) {
      expect(await refusal(await adminCall("/admin/index/blobs/missing", jsonInit("POST", body)))).toEqual({
        status: 400,
        code: "invalid_request",
        message: missing,
      });
    }
    const pointerBefore = await env.INDEX_KV.get(CURRENT_POINTER_KEY);
    for (const body of [{}, [], null, { version: 5 }]) {
      expect(await refusal(await adminCall("/admin/index/current", jsonInit("PUT", body)))).toEqual({
        status: 400,
        code: "invalid_request",
        message: 'send {"version": "<published version>"}',
      });
    }
    expect(await env.INDEX_KV.get(CURRENT_POINTER_KEY)).toBe(pointerBefore);
    expect(await refusal(await adminCall("/admin/index/current", { method: "PUT", body: "{}" }))).toMatchObject({
      status: 415,
      code: "unsupported_media_type",
    });
  });

  it("PUT /admin/index/versions/:version/manifest: the path's version, then the manifest's first problem", async () => {
    const { manifest } = await demoBuild("v-shape");
    const put = (path: string, body: unknown) => adminCall(path, jsonInit("PUT", body));
    const other = "manifest version must equal the version in the path (v-shape)";
    for (const body of [[], null, { ...manifest, version: "v-other" }]) {
      expect(await refusal(await put("/admin/index/versions/v-shape/manifest", body))).toEqual({ status: 400, code: "invalid_manifest", message: other });
    }
    expect(await refusal(await put("/admin/index/versions/v-shape/manifest", { ...manifest, formatVersion: 2 }))).toEqual({
      status: 400,
      code: "invalid_manifest",
      message: "manifest formatVersion must be 1",
    });
    expect(await refusal(await put("/admin/index/versions/v-shape/manifest", { ...manifest, counts: { ...manifest.counts, users: -1 } }))).toEqual({
      status: 400,
      code: "invalid_manifest",
      message: "manifest counts.users must be a non-negative integer",
    });
    // A date that does not exist is refused, not rolled over to December 1 (shared/calendar.ts).
    expect(await refusal(await put("/admin/index/versions/v-shape/manifest", { ...manifest, builtAt: "2026-11-31T00:00:00Z" }))).toEqual({
      status: 400,
      code: "invalid_manifest",
      message: 'manifest builtAt must be a date-time: "2026-11-31T00:00:00Z" names no real moment: day 31 does not exist in 2026-11, which has 30 days',
    });
    expect(await refusal(await put("/admin/index/versions/a%20b/manifest", { ...manifest, version: "a b" }))).toEqual({
      status: 400,
      code: "invalid_manifest",
      message: "manifest version must be 1-64 characters of A-Z a-z 0-9 . _ -",
    });
  });

  it("POST /admin/catalog/items: the list, then indexVersion, then the first bad item, nothing written", async () => {
    const post = (body: unknown) => adminCall("/admin/catalog/items", jsonInit("POST", body));
    const list = 'send {"items": [...]} with 1 to 500 items';
    const tooMany = [...Array.from({ length: 500 }, (_, i) => item(`many-${i}`)), { itemId: "a b" }];
    for (const body of [{}, null, [], { items: [] }, { items: "x" }, { items: tooMany }]) {
      expect(await refusal(await post(body))).toEqual({ status: 400, code: "invalid_item", message: list });
    }
    expect(await refusal(await post({ items: [{ itemId: "a b" }], indexVersion: "a b" }))).toEqual({
      status: 400,
      code: "invalid_item",
      message: "indexVersion must be a version string or absent",
    });
    const cases: [unknown, string][] = [
      [{ ...item("ok-1"), year: 1700 }, "year: an integer from 1800 to 2200, or null"],
      [{ ...item("ok-1"), color: "red" }, "color: unknown field"],
      [{ ...item("ok-1"), title: "" }, "title: 1-512 characters"],
      [{ ...item("ok-1"), blockedRegions: ["US"] }, "blockedRegions: an array of lower-case two-letter country codes"],
      ["m1", "item: must be an object"],
    ];
    for (const [bad, problem] of cases) {
      expect(await refusal(await post({ items: [item("never-written"), bad, { itemId: "a b" }] }))).toEqual({
        status: 400,
        code: "invalid_item",
        message: `items[1].${problem}; nothing was written`,
        index: 1,
      });
    }
    expect((await call("/v1/items/never-written")).status).toBe(404);
  });

  it.each([
    [
      "/admin/config/editorial",
      EDITORIAL_KEY,
      "the first surface and region at fault",
      [
        [[], "editorial config must be an object of surfaces"],
        [{ home: [] }, "home: an object of regions"],
        [{ home: { default: ["1"] }, up_next: { US: ["2"] } }, "up_next.US: region must be a lower-case country code, global or default"],
        [{ home: { us: ["1", "a b"], XX: [] } }, `home.us[1]: must be ${ID_RULE}`],
        [{ home: { us: [858] } }, `home.us[0]: expected a string (${ID_RULE}), got a number`],
        [{ home: { default: "858" } }, "home.default: expected an array of at most 100 item ids, got a string"],
        [{ home: { us: Array.from({ length: 101 }, (_, i) => `i${i}`) } }, "home.us: at most 100 item ids"],
        [{ hoem: { default: ["1"] } }, 'unknown surface "hoem": it would never apply (known: home, up_next, related)'],
        [{ home: { default: ["1"] }, default: { default: ["1"] } }, 'unknown surface "default": it would never apply (known: home, up_next, related)'],
        // Names a valibot record leaves out without a word: before, these stored {} over the lists.
        [{ constructor: { default: ["1"] } }, 'unknown surface "constructor": it would never apply (known: home, up_next, related)'],
        [JSON.parse('{"__proto__": {"default": ["1"]}}'), 'unknown surface "__proto__": it would never apply (known: home, up_next, related)'],
        [{ home: { constructor: ["1"] } }, "home.constructor: region must be a lower-case country code, global or default"],
        [JSON.parse('{"up_next": {"us": ["1"], "__proto__": ["2"]}}'), "up_next.__proto__: region must be a lower-case country code, global or default"],
        // An unknown surface is named before the regions of a known one, wherever it stands.
        [{ home: { US: ["1"] }, hoem: { default: ["1"] } }, 'unknown surface "hoem": it would never apply (known: home, up_next, related)'],
      ],
    ],
    [
      "/admin/config/policy",
      POLICY_KEY,
      "the surface and the policy's first problem, whether the shape or the rules find it",
      [
        [[], "policy config must be an object of surfaces"],
        [{ home: { mmrLambda: 2 } }, "home: mmrLambda must be a number from 0 to 1"],
        [{ home: { explorationFrom: 2.5 } }, "home: explorationFrom must be an integer from 1 to 100"],
        [{ default: { frequencyCap: 1.5 } }, "default: frequencyCap must be an integer from 0 to 1000"],
        [{ default: { nope: 1 } }, 'default: unknown policy field "nope"'],
        [{ default: { constructor: 1 } }, 'default: unknown policy field "constructor"'],
        [{ home: { rules: [{ kind: "constructor" }] } }, "home: rules[0]: kind must be pin, boost, bury or exclude"],
        [{ hoem: { mmrLambda: 0.5 } }, 'unknown surface "hoem": it would never apply (known: default, home, up_next, related)'],
        [{ constructor: { mmrLambda: 0.5 } }, 'unknown surface "constructor": it would never apply (known: default, home, up_next, related)'],
        [JSON.parse('{"prototype": {}}'), 'unknown surface "prototype": it would never apply (known: default, home, up_next, related)'],
        [{ home: { rules: [{ kind: "pin", itemId: "1", position: 0 }] } }, "home: rules[0]: a pin needs itemId and a position >= 1"],
        [{ home: { rules: [{ kind: "pin", itemId: "../../x y", position: 1 }] } }, `home: rules[0]: a pin's itemId must be ${ID_RULE}`],
        [{ home: { rules: [{ kind: "bury", match: { itemId: "../../x y" }, by: 1 }] } }, `home: rules[0]: match.itemId must be ${ID_RULE}`],
        [{ home: { rules: [{ kind: "boost", match: {}, by: 1 }] } }, "home: rules[0]: match needs itemId, category or yearBefore"],
        [{ home: { rules: [{ kind: "shuffle" }] } }, "home: rules[0]: kind must be pin, boost, bury or exclude"],
      ],
    ],
  ] as [string, string, string, [unknown, string][]][])("PUT %s (%s): %s, nothing stored", async (path, key, _what, cases) => {
    const before = await env.INDEX_KV.get(key);
    for (const [body, problem] of cases) {
      expect(await refusal(await adminCall(path, jsonInit("PUT", body)))).toEqual({
        status: 400,
        code: "invalid_request",
        message: `${problem}; nothing was stored`,
      });
    }
    expect(await env.INDEX_KV.get(key)).toBe(before);
  });

  it("the configuration schemas themselves refuse the keys a valibot record leaves out of its output unseen", () => {
    // The policy parser runs on the body as sent (parsedBy), not on the record's output, where "constructor" was gone.
    expect(() => v.safeParse(config.policyBody, JSON.parse('{"constructor": {"mmrLambda": 0.5}}'))).toThrow(
      'unknown surface "constructor": it would never apply (known: default, home, up_next, related); nothing was stored',
    );
    expect(v.parse(config.policyBody, { home: { mmrLambda: 0.5 } })).toEqual({ home: { mmrLambda: 0.5 } });
    const body = { home: { default: ["1"], constructor: ["2"] } };
    const editorial = v.safeParse(config.editorialBody, body);
    expect(editorial.success ? null : config.editorialError(editorial.issues, null as never, body).message).toBe(
      "home.constructor: region must be a lower-case country code, global or default; nothing was stored",
    );
  });

  it("the experiment schemas themselves parse the definition as sent: a variant named constructor, another id on update", () => {
    const definition = JSON.parse(
      '{"id": "e-1", "control": "a", "variants": {"a": {}, "constructor": {}}, "allocation": {"default": {"a": 50, "constructor": 50}}}',
    );
    const reserved = 'variant id "constructor" is reserved (every JavaScript object has it); pick another; nothing was stored';
    expect(() => v.safeParse(experiments.experimentBody, definition)).toThrow(reserved);
    expect(() => v.safeParse(experiments.experimentUpdateBody("e-1"), definition)).toThrow(reserved);
    const valid = { control: "a", variants: { a: {}, b: {} }, allocation: { default: { a: 50, b: 50 } } };
    expect(() => v.safeParse(experiments.experimentUpdateBody("e-1"), { ...valid, id: "e-2" })).toThrow(
      'the body\'s id "e-2" is not the path\'s "e-1": an experiment\'s id cannot change (send "e-1" or leave id out); nothing was stored',
    );
    expect(v.parse(experiments.experimentUpdateBody("e-1"), valid)).toMatchObject({ id: "e-1", control: "a", variants: [{ id: "a" }, { id: "b" }] });
  });

  it("GET /admin/erasures: user, then limit, each named; an unknown receipt is a 404", async () => {
    expect(await refusal(await adminCall("/admin/erasures?user=a%20b&limit=0"))).toEqual({
      status: 400,
      code: "invalid_request",
      message: "user must be a user id",
      field: "user",
    });
    for (const limit of ["0", "501", "x", ""]) {
      expect(await refusal(await adminCall(`/admin/erasures?limit=${limit}`))).toEqual({
        status: 400,
        code: "invalid_request",
        message: "limit must be an integer from 1 to 500",
        field: "limit",
      });
    }
    expect(await refusal(await adminCall("/admin/erasures/nope"))).toEqual({ status: 404, code: "not_found", message: "no erasure receipt with this id" });
  });

  it("experiments and the holdout: the definition's first problem with its code and field, whether the shape or the rules find it", async () => {
    const valid = { control: "a", variants: { a: {}, b: {} }, allocation: { default: { a: 50, b: 50 } } };
    const cases: [unknown, Record<string, unknown>][] = [
      [[], { code: "invalid_experiment", message: "send an experiment object; nothing was stored", field: "" }],
      [{ ...valid }, { code: "invalid_experiment", message: `id must be ${idRule(64)}; nothing was stored`, field: "id" }],
      [
        { id: "..", ...valid },
        { code: "invalid_experiment", message: `id must be ${idRule(64)}; nothing was stored`, field: "id" },
      ],
      [
        { id: "e-1", layer: "...", ...valid },
        { code: "invalid_experiment", message: `layer must be ${idRule(64)}; nothing was stored`, field: "layer" },
      ],
      [
        { id: "e-1", ...valid, variants: { a: {}, "..": {} } },
        {
          code: "invalid_experiment",
          message: `variant id ".." must be ${idRule(32)}, and not "holdout" or "default"; nothing was stored`,
          field: "variants...",
        },
      ],
      [
        { id: "e-1", ...valid, colour: 1 },
        { code: "unknown_knob", message: 'unknown field "colour"; nothing was stored', field: "colour" },
      ],
      [
        { id: "e-1", ...valid, variants: { a: {}, b: { heavyRanker: "yes" } } },
        { code: "invalid_experiment", message: "variants.b.heavyRanker must be true or false; nothing was stored", field: "variants.b.heavyRanker" },
      ],
      [
        { id: "e-1", ...valid, variants: { a: {}, b: { sourceQuotas: { ann: 5, bogus: 1 } } } },
        {
          code: "unknown_knob",
          message:
            'variants.b.sourceQuotas: unknown source "bogus" (known: ann, covisit, context, trending, content, fresh, editorial, popular); nothing was stored',
          field: "variants.b.sourceQuotas.bogus",
        },
      ],
      [
        { id: "e-1", ...valid, allocation: { default: { a: 50, b: 40 } } },
        { code: "invalid_allocation", message: "allocation.default: shares sum to 90, not 100; nothing was stored", field: "allocation.default" },
      ],
      // Names every object has: the schema's record dropped `constructor` unseen, so this read "needs 2 to 10 variants".
      ...["constructor", "__proto__", "toString"].map((name): [unknown, Record<string, unknown>] => [
        JSON.parse(`{"id": "e-1", "control": "a", "variants": {"a": {}, "${name}": {}}, "allocation": {"default": {"a": 50, "${name}": 50}}}`),
        {
          code: "invalid_experiment",
          message: `variant id "${name}" is reserved (every JavaScript object has it); pick another; nothing was stored`,
          field: `variants.${name}`,
        },
      ]),
      [
        { id: "constructor", ...valid },
        { code: "invalid_experiment", message: 'id "constructor" is reserved (every JavaScript object has it); pick another; nothing was stored', field: "id" },
      ],
      [
        { id: "e-1", ...valid, variants: { a: {}, b: { exploration: { policy: "constructor" } } } },
        {
          code: "invalid_experiment",
          message: 'variants.b.exploration: exploration.policy must be "epsilon" or "softmax"; nothing was stored',
          field: "variants.b.exploration",
        },
      ],
    ];
    for (const [body, error] of cases) {
      expect(await refusal(await adminCall("/admin/experiments", jsonInit("POST", body)))).toEqual({ status: 400, ...error });
    }
    expect(await refusal(await adminCall("/admin/experiments/e-absent", jsonInit("PUT", { nonsense: true })))).toMatchObject({
      status: 404,
      code: "not_found",
    });
    const holdout: [unknown, Record<string, unknown>][] = [
      [[], { code: "invalid_holdout", message: 'send {"percent": 2} (and optionally "salt", "offset"); nothing was stored', field: "" }],
      [
        { percent: 2, colour: 1 },
        { code: "unknown_knob", message: 'unknown holdout field "colour"; nothing was stored', field: "colour" },
      ],
      [{ percent: 101 }, { code: "invalid_holdout", message: "percent must be from 0 to 100 with at most two decimals; nothing was stored", field: "percent" }],
      [
        { percent: 60, offset: 50 },
        { code: "invalid_holdout", message: "offset + percent must be at most 100; nothing was stored", field: "percent" },
      ],
    ];
    for (const [body, error] of holdout) {
      expect(await refusal(await adminCall("/admin/experiments/holdout", jsonInit("PUT", body)))).toEqual({ status: 400, ...error });
    }
    const listed = (await (await adminCall("/admin/experiments")).json()) as { experiments: { id: string }[] };
    expect(listed.experiments.map((e) => e.id)).not.toContain("e-1");
    expect(listed.experiments.map((e) => e.id)).not.toContain("constructor");
  });
});

describe("admin answers match their documented schemas", () => {
  const expectShape = async (schema: v.GenericSchema, res: Response, status = 200) => {
    expect(res.status, await res.clone().text()).toBe(status);
    const result = v.safeParse(schema, await res.json());
    expect(result.issues ?? []).toEqual([]);
  };

  it("for the index, catalog, configuration, audit, erasure and experiment routes", async () => {
    await publishDemo("v-admin-shapes");
    await expectShape(health.healthResponse, await adminCall("/health"));
    await expectShape(health.liveResponse, await adminCall("/health/live"));
    await expectShape(admin.versionsResponse, await adminCall("/admin/index/versions"));
    await expectShape(admin.pointerResponse, await adminCall("/admin/index/current"));
    await expectShape(admin.manifestBody, await adminCall("/admin/index/versions/v-admin-shapes/manifest"));
    await expectShape(admin.blobsResponse, await adminCall("/admin/index/blobs"));
    const bytes = new TextEncoder().encode(`shape ${Date.now()}`);
    const sha256 = await sha256Hex(bytes);
    await expectShape(admin.missingResponse, await adminCall("/admin/index/blobs/missing", jsonInit("POST", { sha256: [sha256] })));
    await expectShape(admin.blobPutResponse, await adminCall(`/admin/index/blobs/${sha256}`, { method: "PUT", body: bytes }), 201);
    await expectShape(admin.deletedResponse, await adminCall(`/admin/index/blobs/${sha256}`, { method: "DELETE" }));
    const { manifest, popularBytes } = await demoBuild("v-admin-shapes-2");
    await adminCall(`/admin/index/blobs/${manifest.blobs.popular!.sha256}`, { method: "PUT", body: popularBytes });
    await expectShape(admin.manifestPutResponse, await adminCall("/admin/index/versions/v-admin-shapes-2/manifest", jsonInit("PUT", manifest)), 201);
    await expectShape(admin.deletedResponse, await adminCall("/admin/index/versions/v-admin-shapes-2", { method: "DELETE" }));
    await expectShape(admin.pointerResponse, await adminCall("/admin/index/current", jsonInit("PUT", { version: "v-admin-shapes" })));

    await expectShape(config.upsertedResponse, await adminCall("/admin/catalog/items", jsonInit("POST", { items: demoCatalog().slice(0, 2) })));
    await expectShape(config.storedResponse, await adminCall("/admin/config/editorial", jsonInit("PUT", { home: { default: ["m1"] } })));
    await expectShape(
      config.storedResponse,
      await adminCall("/admin/config/policy", jsonInit("PUT", { home: { mmrLambda: 0.9, rules: [{ kind: "bury", match: { category: "Drama" }, by: 0.1 }] } })),
    );
    await expectShape(config.editorialResponse, await adminCall("/admin/config/editorial"));
    await expectShape(config.policyResponse, await adminCall("/admin/config/policy"));
    await expectShape(config.userEventsResponse, await adminCall(`/admin/users/${freshUser()}/events`));

    const user = freshUser();
    const erased = (await (await call(`/v1/users/${user}`, { method: "DELETE" })).json()) as { receipt: { receiptId: string } };
    await expectShape(erasures.receiptsResponse, await adminCall(`/admin/erasures?user=${user}&limit=5`));
    await expectShape(erasures.receipt, await adminCall(`/admin/erasures/${erased.receipt.receiptId}`));

    const definition = { id: `shape-${Date.now()}`, control: "a", variants: { a: {}, b: { heavyRanker: false } }, allocation: { default: { a: 50, b: 50 } } };
    await expectShape(experiments.holdoutResponse, await adminCall("/admin/experiments/holdout"));
    await expectShape(experiments.holdoutResponse, await adminCall("/admin/experiments/holdout", jsonInit("PUT", { percent: 0 })));
    await expectShape(experiments.experimentResponse, await adminCall("/admin/experiments", jsonInit("POST", definition)), 201);
    const { id: _id, ...update } = definition;
    await expectShape(experiments.experimentResponse, await adminCall(`/admin/experiments/${definition.id}`, jsonInit("PUT", { ...update, name: "renamed" })));
    await expectShape(experiments.experimentAuditResponse, await adminCall(`/admin/experiments/${definition.id}`));
    await expectShape(experiments.experimentsResponse, await adminCall("/admin/experiments"));
    await expectShape(experiments.experimentResponse, await adminCall(`/admin/experiments/${definition.id}/start`, { method: "POST" }));
    await expectShape(experiments.experimentResponse, await adminCall(`/admin/experiments/${definition.id}/stop`, { method: "POST" }));
  });
});
