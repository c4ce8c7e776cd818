import { ApiError, type PlaygroundApi, playgroundApi, type RecommendationsBody } from "./api";
import { byId, el } from "./dom";
import { keyProblem, readFragment } from "./fragment";
import { changedCount, listChanges } from "./list-change";
import { loadState, saveState, type StoredState, withUser } from "./stored-credentials";
import { itemRow, metaList, waterfallRows } from "./views";
import { type RecommendedItem } from "../../shared/ranking/recommended-item";

const FEED_SIZE = 10;
const UP_NEXT_SIZE = 6;
const TRENDING_SIZE = 10;

let state: StoredState = loadState();
/** The feed last shown to each user, to mark what a click changed. */
const lastFeed = new Map<string, string[]>();

const status = byId<HTMLParagraphElement>("status");
const userSelect = byId<HTMLSelectElement>("user-select");

function say(message: string, error = false): void {
  status.textContent = message;
  status.classList.toggle("error", error);
}

function failed(what: string, err: unknown): void {
  const detail = err instanceof ApiError ? `${err.code} (${err.status}): ${err.message}` : String(err);
  say(`${what} failed: ${detail}`, true);
}

/** The API as the current user, or null (and a message) when a key or a user is missing. */
function api(needUser: boolean): PlaygroundApi | null {
  if (!state.publishableKey) {
    say("Enter a publishable key first.", true);
    return null;
  }
  const user = state.users.find((u) => u.userId === state.current);
  if (needUser && !user) {
    say("Add a user with its token, or start a new anonymous visitor.", true);
    return null;
  }
  return playgroundApi(location.origin, { publishableKey: state.publishableKey, userToken: user?.token });
}

function update(next: StoredState): void {
  state = next;
  saveState(state);
  byId<HTMLInputElement>("key-input").value = state.publishableKey;
  userSelect.replaceChildren(...state.users.map((u) => el("option", { value: u.userId }, u.userId)));
  if (state.current) userSelect.value = state.current;
}

async function loadFeed(focusFirst = false): Promise<void> {
  const client = api(true);
  if (!client || !state.current) return;
  const userId = state.current;
  try {
    const { body, timing, cache } = await client.home(userId, FEED_SIZE);
    const ids = body.items.map((i) => i.itemId);
    const changes = listChanges(lastFeed.get(userId) ?? null, ids);
    const before = lastFeed.has(userId);
    lastFeed.set(userId, ids);
    byId("feed-meta").replaceChildren(...metaList(body, cache));
    byId("feed-waterfall").replaceChildren(...waterfallRows(timing));
    const list = byId("feed-list");
    list.replaceChildren(
      ...body.items.map((item) =>
        itemRow(item, changes.get(item.itemId)!, { click: (i) => void clickItem(i, "home", body), upNext: (i) => void showUpNext(i) }),
      ),
    );
    const changed = changedCount(changes);
    byId("feed-change").textContent = before
      ? changed > 0
        ? `${changed} of ${ids.length} items new or moved since the last list`
        : "same list as before"
      : "";
    if (focusFirst) list.querySelector<HTMLButtonElement>("button.title")?.focus();
  } catch (err) {
    failed("Loading the feed", err);
  }
}

async function clickItem(item: RecommendedItem, surface: string, from: RecommendationsBody): Promise<void> {
  const client = api(true);
  if (!client || !state.current) return;
  try {
    const { body } = await client.click(state.current, item.itemId, { surface, impressionId: from.impressionId });
    say(`Click on “${item.title ?? item.itemId}” sent (${body.accepted.length} accepted, Redis ${body.redis}); reloading the feed.`);
    await loadFeed(true);
  } catch (err) {
    failed("Sending the click", err);
  }
}

async function showUpNext(item: RecommendedItem): Promise<void> {
  const client = api(true);
  if (!client || !state.current) return;
  try {
    const { body } = await client.upNext(state.current, item.itemId, UP_NEXT_SIZE);
    byId("upnext-context").textContent = `After “${item.title ?? item.itemId}” (index ${body.indexVersion}, variant ${body.variant})`;
    const rows = body.items.map((next) => itemRow(next, { kind: "same" }, { click: (i) => void clickItem(i, "up_next", body) }));
    byId("upnext-list").replaceChildren(...rows);
    byId("upnext-heading").focus();
  } catch (err) {
    failed("Loading up next", err);
  }
}

async function showTrending(region: string): Promise<void> {
  const client = api(false);
  if (!client) return;
  try {
    const { body } = await client.trending(region, TRENDING_SIZE);
    const titles = await Promise.all(
      body.items.map((i) =>
        client.item(i.itemId).then(
          (a) => a.body.title,
          () => `item ${i.itemId}`,
        ),
      ),
    );
    const degraded = body.degraded.length ? ` (degraded: ${body.degraded.join(", ")})` : "";
    byId("trending-meta").textContent =
      `${body.region}: ${body.items.length} items from ${body.source}${degraded}${body.items.length ? "" : ": nothing clicked there lately"}`;
    byId("trending-list").replaceChildren(
      ...body.items.map((i, n) =>
        el("li", { "data-item-id": i.itemId }, el("span", { class: "rank" }, `${n + 1}.`), el("span", {}, titles[n]!), el("code", {}, i.score.toFixed(2))),
      ),
    );
  } catch (err) {
    failed("Loading trending", err);
  }
}

function wire(): void {
  byId<HTMLFormElement>("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = byId<HTMLInputElement>("key-input").value.trim();
    const problem = keyProblem(key);
    if (problem) return say(problem, true);
    update({ ...state, publishableKey: key });
    say("Key saved for this tab.");
  });
  byId<HTMLFormElement>("user-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const userId = byId<HTMLInputElement>("user-id-input").value.trim();
    const token = byId<HTMLInputElement>("user-token-input").value.trim();
    update(withUser(state, { userId, token }));
    void loadFeed();
  });
  userSelect.addEventListener("change", () => {
    update({ ...state, current: userSelect.value });
    void loadFeed();
  });
  byId("anonymous-button").addEventListener("click", async () => {
    const client = api(false);
    if (!client) return;
    try {
      const { body } = await client.anonymous();
      update(withUser(state, { userId: body.userId, token: body.token }));
      say(`New anonymous visitor ${body.userId}.`);
      await loadFeed();
    } catch (err) {
      failed("Getting an anonymous id", err);
    }
  });
  byId("refresh-button").addEventListener("click", () => void loadFeed());
  byId<HTMLFormElement>("trending-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void showTrending(byId<HTMLInputElement>("region-input").value.trim().toLowerCase() || "global");
  });
}

function start(): void {
  const fromLink = readFragment(location.hash);
  // Credentials are read once and taken out of the address bar, so they are not bookmarked or shared.
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  let next = state;
  if (fromLink.credentials) {
    next = { ...next, publishableKey: fromLink.credentials.publishableKey };
    for (const user of fromLink.credentials.users) next = withUser(next, user);
    if (fromLink.credentials.users[0]) next = { ...next, current: fromLink.credentials.users[0].userId };
  }
  update(next);
  wire();
  if (fromLink.problem) say(fromLink.problem, true);
  if (state.publishableKey && state.current) void loadFeed();
  if (state.publishableKey) void showTrending("global");
}

start();
