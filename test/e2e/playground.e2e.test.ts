import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PROJECT_ROOT } from "../../index-builder/src/local/wrangler";
import { playgroundUrl } from "../../playground/src/fragment";
import { chromiumPresent, launchChromium } from "./chromium";
import { serverClient, sharedCredentials, tokenFor } from "./client";

const base = inject("baseUrl");
const credentials = sharedCredentials();
const server = serverClient(credentials);
/** Where the screenshot is kept for people to look at (gitignored). */
const SCREENSHOT = join(PROJECT_ROOT, "test-results", "playground.png");

const feedIds = (page: Page) => page.$$eval("#feed-list > li", (rows) => rows.map((r) => r.getAttribute("data-item-id")));

describe.runIf(chromiumPresent("the playground in a browser (playground.e2e.test.ts)"))("the playground in Debian's chromium", () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const requested: string[] = [];
  const problems: string[] = [];
  const user = `pg-${Date.now()}`;

  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on("request", (r) => requested.push(r.url()));
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(String(e)));
    const url = playgroundUrl(base, { publishableKey: credentials.publishableKey, users: [{ userId: user, token: await tokenFor(credentials, user) }] });
    await page.goto(url);
  });
  afterAll(() => browser?.close());

  it("shows the user's feed with its facts and the Server-Timing waterfall, and takes the credentials out of the address bar", async () => {
    await page.waitForSelector("#feed-list > li");
    expect(await feedIds(page)).toHaveLength(10);
    expect(page.url()).toBe(`${base}/playground/`);
    expect(await page.textContent('[data-fact="user"]')).toBe(user);
    expect(await page.textContent('[data-fact="index version"]')).toMatch(/\S/);
    expect(await page.textContent('[data-fact="variant"]')).toMatch(/\S/);
    const stages = await page.$$eval("#feed-waterfall > li > span:first-child", (spans) => spans.map((s) => s.textContent));
    expect(stages).toEqual(expect.arrayContaining(["index", "session", "total"]));
    const first = page.locator("#feed-list > li").first();
    expect(await first.locator(".details").textContent()).toMatch(/score -?\d+\.\d{4} · propensity \d\.\d{3} · sources \S+/);
  });

  it("sends a click when a title is chosen, and the next list visibly changes", async () => {
    const before = await feedIds(page);
    await page.locator("#feed-list > li button.title").first().click();
    await page.waitForFunction(() => /new or moved/.test(document.getElementById("feed-change")?.textContent ?? ""));
    const after = await feedIds(page);
    expect(after).not.toEqual(before);
    expect(await page.locator("#feed-list .badge").count()).toBeGreaterThan(0);
    // The event reached the user's session, as the page's status line says.
    const audit = (await (await server.admin.users[":id"].events.$get({ param: { id: user } })).json()) as { eventIds: string[] };
    expect(audit.eventIds).toHaveLength(1);
    expect(await page.textContent("#status")).toMatch(/Click on .* sent \(1 accepted/);
  });

  it("is usable by keyboard: click, up next and trending with keys only", async () => {
    // After a click the focus is on the new list's first title, drawn with a visible outline.
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toMatch(/^Click /);
    const before = await feedIds(page);
    await page.keyboard.press("Enter");
    await page.waitForFunction((ids) => {
      const now = Array.from(document.querySelectorAll("#feed-list > li")).map((r) => r.getAttribute("data-item-id"));
      return now.join() !== ids.join();
    }, before);
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => ({
      label: document.activeElement?.getAttribute("aria-label"),
      outline: getComputedStyle(document.activeElement!).outlineStyle,
    }));
    expect(focused.label).toMatch(/^Up next after /);
    expect(focused.outline).toBe("solid");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#upnext-list > li");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("upnext-heading");

    await page.focus("#region-input");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("us");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.getElementById("trending-meta")?.textContent?.startsWith("us:"));
    expect(await page.locator("#trending-list > li").count()).toBeGreaterThan(0);
    await mkdir(join(PROJECT_ROOT, "test-results"), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it("is served as static assets with a CSP that allows only its own files and this origin", async () => {
    // Raw fetch: static assets, not API routes, so not in the typed client.
    const res = await fetch(`${base}/playground/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) expect(csp).toContain(directive);
    const bare = await fetch(`${base}/playground`, { redirect: "manual" });
    expect([bare.status, bare.headers.get("Location")]).toEqual([307, "/playground/"]);
    // The assets' header rules are not themselves served.
    expect((await fetch(`${base}/_headers`)).status).toBe(404);
  });

  it("loads nothing from anywhere but this Worker, and breaks no rule of its CSP", () => {
    expect(requested.length).toBeGreaterThan(0);
    for (const url of requested) expect(url.startsWith(`${base}/`), url).toBe(true);
    expect(problems).toEqual([]);
  });
});
