import type * as v from "valibot";
import * as admin from "../http/schemas/admin";
import * as config from "../http/schemas/admin-config";
import * as erasures from "../http/schemas/erasures";
import * as experiments from "../http/schemas/experiments";
import * as histories from "../http/schemas/histories";
import {
  anonymousResponse,
  catalogItemResponse,
  itemIdParam,
  similarQuery,
  similarResponse,
  trendingQuery,
  trendingResponse,
} from "../http/schemas/catalog-reads";
import { eventBatchDocumented } from "../../../shared/events/event-schema";
import { eventsResponse } from "../http/schemas/events";
import { healthResponse, liveResponse } from "../http/schemas/health";
import { recommendationsQuery, recommendationsResponse } from "../http/schemas/recommendations";
import { eraseResponse, mergeBody, mergeResponse, profileBody, profileResponse, userIdParam } from "../http/schemas/users";

type Schema = v.GenericSchema;
type ObjectSchema = v.ObjectSchema<v.ObjectEntries, v.ErrorMessage<v.ObjectIssue> | undefined>;

/** Who may call: each inner list is one way in (all its schemes together), as in OpenAPI's `security`. */
export type Credentials = "public" | "publishable" | "user" | "secret";

/** One route of the API as the reference documents it: the same schemas the route validates with. */
export interface Operation {
  method: "get" | "put" | "post" | "delete";
  /** OpenAPI form: `{id}` for `:id`. */
  path: string;
  tag: "Recommendations" | "Events" | "Users" | "Catalog" | "Health" | "Index" | "Configuration" | "Audits" | "Experiments";
  summary: string;
  description?: string;
  credentials: Credentials;
  params?: ObjectSchema;
  /** Request headers the route checks (lower-case names). */
  headers?: ObjectSchema;
  /** The query's object schema (possibly wrapped in a pipe whose first item is the object). */
  query?: Schema;
  body?: Schema | { contentType: string; description: string };
  /** The success status and its body (`text`: a non-JSON answer). */
  success: { status: number; description: string; schema?: Schema; contentType?: string; alternative?: string };
  /** Other success statuses the route answers, each with its body (a renewal's 200 beside a new id's 201). */
  alsoSuccess?: { status: number; description: string; schema?: Schema }[];
  /** Refusals besides the ones every route of its kind may give (401/403/429 from credentials, 405, 413). */
  errors?: number[];
}

export const OPERATIONS: Operation[] = [
  {
    method: "get",
    path: "/v1/recommendations",
    tag: "Recommendations",
    summary: "A personalized list: home feed, up next or related items",
    description:
      "Cache-first, then the funnel (candidate sources, filters, light and heavy ranking, policy). The `Server-Timing` header names every stage; `degraded` names what failed, and the answer is still a 200.",
    credentials: "user",
    query: recommendationsQuery,
    success: { status: 200, description: "The page of the list.", schema: recommendationsResponse },
    errors: [400, 503],
  },
  {
    method: "post",
    path: "/v1/events",
    tag: "Events",
    summary: "Send interaction events (at most 500)",
    description:
      "Each event acts for its user: a browser sends its own user's events only. Answers one result per event, so a client resends exactly what failed. Event ids are the user's own and idempotent for 7 days.",
    credentials: "user",
    body: eventBatchDocumented,
    success: { status: 200, description: "What became of each event.", schema: eventsResponse },
    errors: [400, 415, 503],
  },
  {
    method: "post",
    path: "/v1/anonymous",
    tag: "Users",
    summary: "A signed anonymous id for a visitor (or its renewal)",
    description: "201 with a new id; with a still-valid anonymous token, 200 renewing that id. Rate limited per key and client.",
    credentials: "publishable",
    success: { status: 201, description: "A new visitor id and its token.", schema: anonymousResponse },
    alsoSuccess: [
      { status: 200, description: "A still-valid anonymous token was sent: the same id, with a new token (`renewed: true`).", schema: anonymousResponse },
    ],
  },
  {
    method: "put",
    path: "/v1/users/{id}",
    tag: "Users",
    summary: "Declare the user's language, region and categories (cold start)",
    credentials: "user",
    params: userIdParam,
    body: profileBody,
    success: { status: 200, description: "The stored profile.", schema: profileResponse },
    errors: [400, 415],
  },
  {
    method: "delete",
    path: "/v1/users/{id}",
    tag: "Users",
    summary: "Privacy deletion: erase the user everywhere, with a receipt",
    credentials: "user",
    params: userIdParam,
    success: { status: 200, description: "The erasure receipt.", schema: eraseResponse },
    errors: [400, 503],
  },
  {
    method: "post",
    path: "/v1/users/{id}/merge",
    tag: "Users",
    summary: "At login: merge the anonymous visitor's session into the user",
    credentials: "user",
    params: userIdParam,
    description: "The body holds `anonymousToken` only: any other field is refused (400) and nothing is merged.",
    body: mergeBody,
    success: { status: 200, description: "What was merged.", schema: mergeResponse },
    errors: [400, 415],
  },
  {
    method: "get",
    path: "/v1/items/{id}",
    tag: "Catalog",
    summary: "A catalog item",
    credentials: "publishable",
    params: itemIdParam,
    success: { status: 200, description: "The item.", schema: catalogItemResponse },
    errors: [400, 404],
  },
  {
    method: "get",
    path: "/v1/items/{id}/similar",
    tag: "Catalog",
    summary: "Items nearest to an item (ANN over the index)",
    credentials: "publishable",
    params: itemIdParam,
    query: similarQuery,
    success: { status: 200, description: "The nearest items.", schema: similarResponse },
    errors: [400, 404, 503],
  },
  {
    method: "get",
    path: "/v1/trending",
    tag: "Catalog",
    summary: "Items trending in a region",
    credentials: "publishable",
    query: trendingQuery,
    success: { status: 200, description: "Trending items, or the popular list when Redis is off.", schema: trendingResponse },
    errors: [400],
  },
  {
    method: "get",
    path: "/health/live",
    tag: "Health",
    summary: "Liveness: touches no binding",
    credentials: "public",
    success: { status: 200, description: "Alive.", schema: liveResponse },
  },
  {
    method: "get",
    path: "/health",
    tag: "Health",
    summary: "The state of every binding",
    credentials: "secret",
    success: { status: 200, description: "Binding states.", schema: healthResponse },
  },
  {
    method: "get",
    path: "/openapi.json",
    tag: "Health",
    summary: "This document (OpenAPI 3.1)",
    credentials: "public",
    success: { status: 200, description: "The OpenAPI document." },
  },
  {
    method: "get",
    path: "/docs",
    tag: "Health",
    summary: "The API reference page, rendered from this document (only where API_REFERENCE is 1)",
    credentials: "public",
    success: { status: 200, description: "HTML.", contentType: "text/html" },
    errors: [404],
  },
  ...adminOperations(),
];

function adminOperations(): Operation[] {
  const op = (
    method: Operation["method"],
    path: string,
    tag: Operation["tag"],
    summary: string,
    extra: Partial<Operation>,
    success: Operation["success"],
  ): Operation => ({ method, path, tag, summary, credentials: "secret", success, ...extra });
  const done = (schema: Schema, description = "Done.", status = 200) => ({ status, description, schema });
  const blob = { contentType: "application/octet-stream", description: "The blob's bytes (at most 25 MiB)." };
  const experimentId = { params: experiments.experimentParam };
  return [
    op(
      "put",
      "/admin/index/blobs/{sha256}",
      "Index",
      "Upload a blob under its content address",
      { params: admin.sha256Param, body: blob, errors: [400] },
      done(admin.blobPutResponse, "Stored (200: already there).", 201),
    ),
    op(
      "post",
      "/admin/index/blobs",
      "Index",
      "Upload several blobs in one multipart body, each part named by its SHA-256",
      { body: { contentType: "multipart/form-data", description: "One part per blob (1 to 100), named by its lower-case hex SHA-256." }, errors: [400, 415] },
      done(admin.blobBatchResponse, "Every blob stored (or there already).", 201),
    ),
    op(
      "post",
      "/admin/index/blobs/missing",
      "Index",
      "Which of these blobs an upload still has to send",
      { body: admin.missingBody, errors: [400, 415] },
      done(admin.missingResponse),
    ),
    op("get", "/admin/index/blobs", "Index", "Stored blobs, 1000 per page", { query: admin.blobsQuery, errors: [400] }, done(admin.blobsResponse)),
    op(
      "get",
      "/admin/index/blobs/{sha256}",
      "Index",
      "A blob's bytes",
      { params: admin.sha256Param, errors: [400, 404] },
      { status: 200, description: "The bytes.", contentType: "application/octet-stream" },
    ),
    op(
      "delete",
      "/admin/index/blobs/{sha256}",
      "Index",
      "Garbage-collect a blob",
      { params: admin.sha256Param, errors: [400, 409] },
      done(admin.deletedResponse),
    ),
    op(
      "put",
      "/admin/index/versions/{version}/blobs/{name}",
      "Index",
      "Upload a blob (older builders; X-Content-Sha256 must match)",
      { headers: admin.contentShaHeader, params: admin.versionBlobParams, body: blob, errors: [400, 409] },
      done(admin.blobPutResponse, "Stored (200: already there).", 201),
    ),
    op("get", "/admin/index/versions", "Index", "Published versions, the current pointer and its history", {}, done(admin.versionsResponse)),
    op(
      "get",
      "/admin/index/versions/{version}/manifest",
      "Index",
      "A published manifest",
      { params: admin.versionParam, errors: [400, 404] },
      done(admin.manifestBody, "The manifest."),
    ),
    op(
      "put",
      "/admin/index/versions/{version}/manifest",
      "Index",
      "Publish a manifest (every blob it lists must be present)",
      { params: admin.versionParam, body: admin.manifestBody, errors: [400, 409, 415] },
      done(admin.manifestPutResponse, "Published.", 201),
    ),
    op(
      "delete",
      "/admin/index/versions/{version}",
      "Index",
      "Garbage-collect a version",
      { params: admin.versionParam, errors: [400, 409] },
      done(admin.deletedResponse),
    ),
    op("get", "/admin/index/current", "Index", "The live version", { errors: [503] }, done(admin.pointerResponse, "The current pointer.")),
    op(
      "put",
      "/admin/index/current",
      "Index",
      "Make a published version live (or roll back)",
      { body: admin.currentBody, errors: [400, 404, 415] },
      done(admin.pointerResponse, "The new pointer."),
    ),
    op(
      "post",
      "/admin/catalog/items",
      "Configuration",
      "Upsert up to 500 catalog items, atomically",
      {
        description:
          "All or nothing. Refused (400, nothing written): a batch naming an item twice (`invalid_item`, with both positions), or an `indexVersion` whose manifest is not stored (`unknown_index_version`).",
        body: config.catalogItemsBody,
        errors: [400, 415],
      },
      done(config.upsertedResponse),
    ),
    op(
      "get",
      "/admin/config/editorial",
      "Configuration",
      "The stored editorial lists",
      {},
      done(config.editorialResponse, "The editorial lists as stored, read from KV (serving isolates pick a change up within 30 s)."),
    ),
    op(
      "get",
      "/admin/config/policy",
      "Configuration",
      "The stored re-ranking knobs and business rules, and the defaults",
      {},
      done(config.policyResponse, "The policy overrides as stored, read from KV (serving isolates pick a change up within 30 s), and the defaults."),
    ),
    op(
      "put",
      "/admin/config/editorial",
      "Configuration",
      "Editorial lists per surface and region",
      {
        description: "Surfaces `home`, `up_next` and `related`; any other key is refused (400), as it would never apply.",
        body: config.editorialBody,
        errors: [400, 415],
      },
      done(config.storedResponse),
    ),
    op(
      "put",
      "/admin/config/policy",
      "Configuration",
      "Re-ranking knobs and business rules per surface",
      {
        description:
          "Keys `default` (every surface), `home`, `up_next` and `related`; any other is refused (400). `maxPerCategory`, `frequencyCap` and `explorationFrom` are integers; rule item ids follow the id rule.",
        body: config.policyBody,
        errors: [400, 415],
      },
      done(config.storedResponse),
    ),
    op(
      "post",
      "/admin/histories",
      "Users",
      "Seed users' histories from the log the index was trained on",
      {
        description:
          "Each listed user's history is replaced whole (`[]` clears it), all or nothing: what fold-in, co-visitation, the seen filter and category affinities read until live events take over, so a known user's first list is already theirs. Not events: nothing reaches the event stream, trending or experiment counters. `index-builder seed-histories` sends a built version's log.",
        body: histories.historyBatchBody,
        errors: [400, 415, 503],
      },
      done(histories.historiesResponse, "Every listed user's history is stored."),
    ),
    op(
      "get",
      "/admin/histories/{id}",
      "Users",
      "A user's seeded history",
      { params: config.auditUserParam, errors: [400] },
      done(histories.historyResponse, "The history, newest first."),
    ),
    op(
      "get",
      "/admin/users/{id}/events",
      "Audits",
      "A user's stored event ids and undelivered outbox size",
      { params: config.auditUserParam, errors: [400] },
      done(config.userEventsResponse, "The user's events."),
    ),
    op(
      "get",
      "/admin/metrics",
      "Audits",
      "Request metrics of the last minutes",
      { query: config.metricsQuery, errors: [400, 503] },
      done(config.metricsResponse, "Latency percentiles, error, degraded and cache-hit shares per route; heavy-ranker share; CTR per surface."),
    ),
    op(
      "get",
      "/admin/experiments/{variant}/counters",
      "Audits",
      "Impressions and attributed events of a variant",
      { params: config.variantParam, query: config.countersQuery, errors: [400, 503] },
      done(config.countersResponse, "The variant's counters."),
    ),
    op(
      "get",
      "/admin/erasures",
      "Audits",
      "Erasure receipts (latest, or a user's)",
      { query: erasures.erasuresQuery, errors: [400, 503] },
      done(erasures.receiptsResponse, "Receipts, newest first."),
    ),
    op(
      "get",
      "/admin/erasures/{receiptId}",
      "Audits",
      "One erasure receipt",
      { params: erasures.receiptParam, errors: [404] },
      done(erasures.receipt, "The receipt with the builder's progress."),
    ),
    op("get", "/admin/experiments/holdout", "Experiments", "The global holdout", {}, done(experiments.holdoutResponse, "The holdout.")),
    op(
      "put",
      "/admin/experiments/holdout",
      "Experiments",
      "Set the global holdout (refused while experiments run)",
      { body: experiments.holdoutBody, errors: [400, 409, 415] },
      done(experiments.holdoutResponse, "The stored holdout."),
    ),
    op("get", "/admin/experiments", "Experiments", "Experiments, with the holdout", {}, done(experiments.experimentsResponse, "Every experiment.")),
    op(
      "post",
      "/admin/experiments",
      "Experiments",
      "Create a draft experiment",
      { description: "409 `experiment_conflict` when an experiment with this id exists already.", body: experiments.experimentBody, errors: [400, 409, 415] },
      done(experiments.experimentResponse, "The draft.", 201),
    ),
    op(
      "get",
      "/admin/experiments/{id}",
      "Experiments",
      "An experiment and its audit trail",
      { ...experimentId, errors: [400, 404] },
      done(experiments.experimentAuditResponse, "The experiment."),
    ),
    op(
      "put",
      "/admin/experiments/{id}",
      "Experiments",
      "Replace a draft's definition",
      {
        ...experimentId,
        description: "The body's `id` may be left out; one other than the path's is refused (400): an id cannot change. 409 once the experiment has started.",
        // The document reads the schema's shape alone; the path's id only reaches its parser.
        body: experiments.experimentUpdateBody("{id}"),
        errors: [400, 404, 409, 415],
      },
      done(experiments.experimentResponse, "The updated draft."),
    ),
    op(
      "delete",
      "/admin/experiments/{id}",
      "Experiments",
      "Delete a draft",
      {
        ...experimentId,
        description:
          "Only a draft, which never ran, can be deleted (409 otherwise): it then stops pinning its index versions. Its audit trail stays, with a `delete` row.",
        errors: [400, 404, 409],
      },
      done(experiments.experimentDeletedResponse, "The id of the deleted draft."),
    ),
    op(
      "post",
      "/admin/experiments/{id}/start",
      "Experiments",
      "Start a draft",
      { ...experimentId, errors: [400, 404, 409] },
      done(experiments.experimentResponse, "The running experiment."),
    ),
    op(
      "post",
      "/admin/experiments/{id}/stop",
      "Experiments",
      "Stop a running experiment",
      { ...experimentId, errors: [400, 404, 409] },
      done(experiments.experimentResponse, "The stopped experiment."),
    ),
    op(
      "get",
      "/admin/experiments/{id}/report",
      "Experiments",
      "The experiment's report",
      { ...experimentId, query: experiments.reportQuery, errors: [400, 404, 503] },
      { ...done(experiments.reportResponse, "The report (Markdown, as text/plain, with `?format=markdown`)."), alternative: "text/plain" },
    ),
  ];
}
