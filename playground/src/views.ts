import { type RecommendedItem } from "../../shared/ranking/recommended-item";
import { type RecommendationsBody } from "./api";
import { el } from "./dom";
import { type Change } from "./list-change";
import { waterfall } from "./server-timing";

/** What a list row offers besides its text. */
export interface ItemActions {
  /** Sends a click on the item (the title is the button). */
  click(item: RecommendedItem): void;
  /** Shows the item's "up next" list; absent where the list is itself "up next". */
  upNext?(item: RecommendedItem): void;
}

/** One recommended item: rank, title (a button that sends a click), why it is here, and its numbers. */
export function itemRow(item: RecommendedItem, change: Change, actions: ItemActions): HTMLLIElement {
  const name = item.title ?? `item ${item.itemId}`;
  const title = el("button", { type: "button", class: "title", "aria-label": `Click ${name}` }, name);
  title.addEventListener("click", () => actions.click(item));
  const details = el(
    "div",
    { class: "details" },
    item.reasons.map((r) => r.text).join("; ") || "no reason given",
    el("br"),
    "score ",
    el("code", {}, item.score.toFixed(4)),
    " · propensity ",
    el("code", {}, (item.propensity ?? 1).toFixed(3)),
    " · sources ",
    el("code", {}, item.sources.join(", ") || "none"),
    " · id ",
    el("code", {}, item.itemId),
  );
  const side = actions.upNext ? el("button", { type: "button", "aria-label": `Up next after ${name}` }, "Up next") : el("span");
  if (actions.upNext) side.addEventListener("click", () => actions.upNext!(item));
  return el("li", { "data-item-id": item.itemId }, el("span", { class: "rank" }, `${item.rank}.`), el("span", {}, title, badge(change)), side, details);
}

function badge(change: Change): HTMLElement | null {
  if (change.kind === "new") return el("span", { class: "badge new" }, "new");
  if (change.kind === "moved") return el("span", { class: `badge ${change.by > 0 ? "up" : "down"}` }, `${change.by > 0 ? "▲" : "▼"} ${Math.abs(change.by)}`);
  return null;
}

/** The facts of one answer: index version, variant, experiment, ranker, cache, degraded stages. */
export function metaList(body: RecommendationsBody, cache: string | null): Node[] {
  const facts: [string, string][] = [
    ["user", body.userId],
    ["index version", body.indexVersion],
    ["variant", body.variant],
    ["experiment", body.experiment ?? "none"],
    ["ranker", body.ranker],
    ["session version", String(body.sessionVersion)],
    ["region", body.region],
    ["cache", cache ?? "?"],
    ["degraded", body.degraded.join(", ") || "none"],
  ];
  return facts.map(([term, value]) => el("div", {}, el("dt", {}, term), el("dd", { "data-fact": term }, value)));
}

/** The Server-Timing stages as bars on one time line, each with its duration in text for screen readers. */
export function waterfallRows(stages: { stage: string; durMs: number }[]): HTMLLIElement[] {
  return waterfall(stages).map((bar) => {
    const fill = el("span", { class: "bar" });
    // CSSOM properties, not a style attribute: the page's CSP allows no inline styles.
    fill.style.left = `${(bar.start * 100).toFixed(2)}%`;
    fill.style.width = `${(bar.width * 100).toFixed(2)}%`;
    return el(
      "li",
      { class: bar.stage === "total" ? "total" : "" },
      el("span", {}, bar.stage),
      el("span", { class: "track", "aria-hidden": "true" }, fill),
      el("span", { class: "ms" }, `${bar.durMs.toFixed(1)} ms`),
    );
  });
}
