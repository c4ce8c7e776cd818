import { type ClientResponse, type InferResponseType } from "hono/client";
import { type Client, createClient } from "../../client";
import { parseServerTiming } from "./server-timing";

type V1 = Client["v1"];
export type RecommendationsBody = InferResponseType<V1["recommendations"]["$get"], 200>;
export type TrendingBody = InferResponseType<V1["trending"]["$get"], 200>;
export type ItemBody = InferResponseType<V1["items"][":id"]["$get"], 200>;
export type EventsBody = InferResponseType<V1["events"]["$post"], 200>;
export type AnonymousBody = InferResponseType<V1["anonymous"]["$post"], 201>;

/** The calls the playground makes, on the typed client (client/index.ts), with what it shows of each answer's headers. */
export interface PlaygroundApi {
  home(userId: string, limit: number): Promise<Answer<RecommendationsBody>>;
  upNext(userId: string, itemId: string, limit: number): Promise<Answer<RecommendationsBody>>;
  trending(region: string, limit: number): Promise<Answer<TrendingBody>>;
  item(itemId: string): Promise<Answer<ItemBody>>;
  click(userId: string, itemId: string, from: { surface: string; impressionId: string }): Promise<Answer<EventsBody>>;
  anonymous(): Promise<Answer<AnonymousBody>>;
}

/** A successful answer with what the page shows of its headers. */
export interface Answer<T> {
  body: T;
  timing: { stage: string; durMs: number }[];
  cache: string | null;
}

/** An error answer (`{"error":{"code","message"}}`) or a failed request. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The body of a successful answer (2xx), typed as the route's; an ApiError with the error envelope's code otherwise. */
async function answer<T>(pending: Promise<ClientResponse<unknown>>): Promise<Answer<T>> {
  const res = await pending;
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  if (!res.ok) throw new ApiError(res.status, body?.error?.code ?? "http_error", body?.error?.message ?? `HTTP ${res.status}`);
  return { body: body as T, timing: parseServerTiming(res.headers.get("Server-Timing")), cache: res.headers.get("X-Cache") };
}

/** The API at `baseUrl` as the page's publishable key, acting for `userToken`'s user when given. */
export function playgroundApi(baseUrl: string, auth: { publishableKey: string; userToken?: string }): PlaygroundApi {
  const { v1 } = createClient(baseUrl, auth);
  return {
    home: (userId, limit) => answer(v1.recommendations.$get({ query: { user_id: userId, surface: "home", limit: String(limit) } })),
    upNext: (userId, itemId, limit) =>
      answer(v1.recommendations.$get({ query: { user_id: userId, surface: "up_next", item_id: itemId, limit: String(limit) } })),
    trending: (region, limit) => answer(v1.trending.$get({ query: { region, limit: String(limit) } })),
    item: (itemId) => answer(v1.items[":id"].$get({ param: { id: itemId } })),
    click: (userId, itemId, from) =>
      answer(
        v1.events.$post({
          json: {
            events: [
              { eventId: crypto.randomUUID(), userId, itemId, type: "click", timestamp: Date.now(), surface: from.surface, impressionId: from.impressionId },
            ],
          },
        }),
      ),
    anonymous: () => answer(v1.anonymous.$post()),
  };
}
