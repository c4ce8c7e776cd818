import { type PlaygroundCredentials, type PlaygroundUser } from "./fragment";

const STORAGE_KEY = "edge-recommender-playground";

/** What the tab remembers: the key, the users it holds tokens for, and who it acts as. */
export interface StoredState extends PlaygroundCredentials {
  current: string | null;
}

/**
 * Session storage: the credentials live as long as the tab, are not shared
 * with other tabs and are never sent anywhere but this API.
 */
export function loadState(): StoredState {
  try {
    const parsed = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null") as StoredState | null;
    if (parsed && typeof parsed.publishableKey === "string" && Array.isArray(parsed.users)) return parsed;
  } catch {
    /* unreadable: start empty */
  }
  return { publishableKey: "", users: [], current: null };
}

export function saveState(state: StoredState): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
}

/** Adds or replaces a user's token and acts as that user. */
export function withUser(state: StoredState, user: PlaygroundUser): StoredState {
  return { ...state, users: [...state.users.filter((u) => u.userId !== user.userId), user], current: user.userId };
}
