import { type RecommendedItem } from "../../shared/ranking/recommended-item";
import { parseServerTiming } from "./server-timing";

/**
 * The calls the playground makes, and nothing more. Every request goes
 * through `send`, the one place that knows the HTTP shape: when the typed
 * client (`client/`, createClient on hono/client) is in main, its calls
 * replace the bodies of these methods and the page does not change.
 */
export interface PlaygroundApi {
  home(userId: string, limit: number): Promise<Answer<RecommendationsBody>>;
  upNext(userId: string, itemId: string, limit: number): Promise<Answer<RecommendationsBody>>;
  trending(region: string, limit: number): Promise<Answer<TrendingBody>>;
  item(itemId: string): Promise<Answer<{ itemId: string; title: string }>>;
  click(userId: string, itemId: string, from: { surface: string; impressionId: string }): Promise<Answer<EventsBody>>;
  anonymous(): Promise<Answer<{ userId: string; token: string; expiresAt: number }>>;
}

/** A successful answer with what the page shows of its headers. */
export interface Answer<T> {
  body: T;
  timing: { stage: string; durMs: number }[];
  cache: string | null;
}

export interface RecommendationsBody {
  userId: string;
  surface: string;
  region: string;
  indexVersion: string;
  sessionVersion: number;
  experiment: string | null;
  variant: string;
  impressionId: string;
  items: RecommendedItem[];
  ranker: string;
  degraded: string[];
}

export interface TrendingBody {
  region: string;
  source: string;
  items: { itemId: string; score: number }[];
  degraded: string[];
}

export interface EventsBody {
  accepted: string[];
  duplicates: string[];
  redis: string;
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

/** The API at `baseUrl` as the page's publishable key, acting for `userToken`'s user when given. */
export function playgroundApi(baseUrl: string, auth: { publishableKey: string; userToken?: string }): PlaygroundApi {
  const send = async <T>(path: string, init: RequestInit = {}): Promise<Answer<T>> => {
    const headers = new Headers(init.headers);
    headers.set("X-Api-Key", auth.publishableKey);
    if (auth.userToken) headers.set("Authorization", `Bearer ${auth.userToken}`);
    const res = await fetch(`${baseUrl}${path}`, { ...init, headers });
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    if (!res.ok) throw new ApiError(res.status, body?.error?.code ?? "http_error", body?.error?.message ?? `HTTP ${res.status}`);
    return { body: body as T, timing: parseServerTiming(res.headers.get("Server-Timing")), cache: res.headers.get("X-Cache") };
  };
  const query = (params: Record<string, string | number>) => new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  return {
    home: (userId, limit) => send(`/v1/recommendations?${query({ user_id: userId, surface: "home", limit })}`),
    upNext: (userId, itemId, limit) => send(`/v1/recommendations?${query({ user_id: userId, surface: "up_next", item_id: itemId, limit })}`),
    trending: (region, limit) => send(`/v1/trending?${query({ region, limit })}`),
    item: (itemId) => send(`/v1/items/${encodeURIComponent(itemId)}`),
    click: (userId, itemId, from) =>
      send("/v1/events", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          events: [
            { eventId: crypto.randomUUID(), userId, itemId, type: "click", timestamp: Date.now(), surface: from.surface, impressionId: from.impressionId },
          ],
        }),
      }),
    anonymous: () => send("/v1/anonymous", { method: "POST" }),
  };
}
